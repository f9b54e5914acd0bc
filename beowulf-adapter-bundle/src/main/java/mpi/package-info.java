/**
 * The mpiJava 1.2 API in the form MPJ Express 0.44 has it, so that MPJ Express programs compile and
 * run against it unchanged. Buffers are Java arrays with an offset and a count of items of a
 * {@link mpi.Datatype}; displacements, extents and sizes are counted in elements of the buffer's
 * base type, as in mpiJava. Everything here runs over the device SPI in
 * {@code org.smpcluster.beowulf.mpj}; collectives use binomial trees, recursive doubling and rings
 * over point-to-point messages in a context of their own.
 */
package mpi;
