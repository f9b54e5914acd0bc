/** MPJ Express's packing buffer, for {@code Comm.Pack} and {@code Comm.Unpack}. */
package mpjbuf;
