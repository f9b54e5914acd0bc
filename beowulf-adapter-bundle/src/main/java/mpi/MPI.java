package mpi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.smpcluster.beowulf.mpj.Device;
import org.smpcluster.beowulf.mpj.Devices;
import org.smpcluster.beowulf.mpj.Transfer;

/**
 * The entry point: {@link #Init}, {@link #Finalize}, the predefined communicators, datatypes, ops
 * and constants. The statics are this rank's: every rank loads {@code mpi} in its own class loader.
 * {@code Init} opens the device the environment names (see {@code org.smpcluster.beowulf.mpj}); it
 * may be called again after {@code Finalize}, as MPJ Express allows.
 */
public class MPI {

    public static final int ANY_SOURCE = -2;
    public static final int ANY_TAG = -2;
    public static final int PROC_NULL = -3;
    public static final int UNDEFINED = -1;
    public static final int IDENT = 0, CONGRUENT = 3, SIMILAR = 1, UNEQUAL = 2;
    public static final int GRAPH = 1, CART = 2;
    public static final int THREAD_SINGLE = 1, THREAD_FUNNELED = 2, THREAD_SERIALIZED = 3, THREAD_MULTIPLE = 4;
    /** Attribute keys for {@code Comm.Attr_get}: the largest tag, the host rank, the I/O rank, global clocks. */
    public static final int TAG_UB = 0, HOST = 1, IO = 2, WTIME_IS_GLOBAL = 3;
    /** The processors of this machine, as MPJ Express has it. */
    public static final int NUM_OF_PROCESSORS = Runtime.getRuntime().availableProcessors();

    /** Bytes a buffered send takes in the attached buffer beyond its data (set by {@code Init}). */
    public static int BSEND_OVERHEAD;
    /** Per-message overheads of the device, to size buffers (set by {@code Init}). */
    public static int SEND_OVERHEAD, RECV_OVERHEAD;

    public static Datatype BYTE = Datatype.basic(Device.BYTE);
    public static Datatype CHAR = Datatype.basic(Device.CHAR);
    public static Datatype SHORT = Datatype.basic(Device.SHORT);
    public static Datatype BOOLEAN = Datatype.basic(Device.BOOLEAN);
    public static Datatype INT = Datatype.basic(Device.INT);
    public static Datatype LONG = Datatype.basic(Device.LONG);
    public static Datatype FLOAT = Datatype.basic(Device.FLOAT);
    public static Datatype DOUBLE = Datatype.basic(Device.DOUBLE);
    public static Datatype PACKED = Datatype.basic(Device.PACKED);
    public static Datatype OBJECT = Datatype.basic(Device.OBJECT);
    public static Datatype LB = Datatype.marker(Datatype.LB_CODE);
    public static Datatype UB = Datatype.marker(Datatype.UB_CODE);
    public static Datatype SHORT2 = pair(SHORT);
    public static Datatype INT2 = pair(INT);
    public static Datatype LONG2 = pair(LONG);
    public static Datatype FLOAT2 = pair(FLOAT);
    public static Datatype DOUBLE2 = pair(DOUBLE);

    public static Op MAX = new Op(Op.MAX), MIN = new Op(Op.MIN), SUM = new Op(Op.SUM), PROD = new Op(Op.PROD),
            LAND = new Op(Op.LAND), BAND = new Op(Op.BAND), LOR = new Op(Op.LOR), BOR = new Op(Op.BOR),
            LXOR = new Op(Op.LXOR), BXOR = new Op(Op.BXOR), MAXLOC = new Op(Op.MAXLOC), MINLOC = new Op(Op.MINLOC);

    public static Errhandler ERRORS_ARE_FATAL = new Errhandler(Errhandler.FATAL);
    public static Errhandler ERRORS_RETURN = new Errhandler(Errhandler.RETURN);

    public static Intracomm COMM_WORLD;
    public static Comm COMM_SELF;
    public static Group GROUP_EMPTY = new Group(new int[0]);
    public static Request REQUEST_NULL = new Request();
    /** What {@code Split} (colour {@code UNDEFINED}), {@code Create} and the topology makers give ranks left out: null. */
    public static Comm COMM_NULL;
    public static Group GROUP_NULL;

    private static final int WORLD_CONTEXT = 0;
    private static final int SELF_CONTEXT = 2;
    private static final int FIRST_FREE_CONTEXT = 4;
    private static final long START = System.nanoTime();

    private static Device device;
    private static boolean initialized;
    private static int nextContext = FIRST_FREE_CONTEXT;
    private static ByteBuffer attached;
    private static final List<Object[]> PENDING_BSENDS = new ArrayList<>();

    private static Datatype pair(Datatype t) {
        try {
            return Datatype.Contiguous(2, t);
        } catch (MPIException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Starts MPI in this rank; returns the program's own arguments. */
    public static String[] Init(String[] args) throws MPIException {
        if (initialized) {
            throw new MPIException("Init: MPI is already initialized in this rank (Finalize first)");
        }
        Device d;
        try {
            d = Devices.open();
        } catch (IllegalArgumentException e) {
            throw new MPIException("Init: " + e.getMessage(), e);
        }
        device = d;
        nextContext = FIRST_FREE_CONTEXT;
        int[] all = new int[d.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        COMM_WORLD = new Intracomm(WORLD_CONTEXT, new Group(all));
        COMM_SELF = new Intracomm(SELF_CONTEXT, new Group(new int[] {d.rank()}));
        BSEND_OVERHEAD = 64;
        SEND_OVERHEAD = 64;
        RECV_OVERHEAD = 64;
        initialized = true;
        return args == null ? new String[0] : args.clone();
    }

    /** Ends MPI in this rank, after the other ranks have reached their {@code Finalize}. */
    public static void Finalize() throws MPIException {
        checkInit("Finalize");
        Buffer_detach();
        COMM_WORLD.Barrier();
        device.close();
        initialized = false;
    }

    /** Whether {@code Init} was called and {@code Finalize} not since. */
    public static boolean Initialized() throws MPIException {
        return initialized;
    }

    /** Seconds since some time in the past. */
    public static double Wtime() throws MPIException {
        return (System.nanoTime() - START) / 1e9;
    }

    /** The resolution of {@link #Wtime}, in seconds. */
    public static double Wtick() throws MPIException {
        return 1e-9;
    }

    /** The name of the node this rank runs on. */
    public static String Get_processor_name() throws MPIException {
        checkInit("Get_processor_name");
        return device.processorName();
    }

    /** Gives MPI {@code buffer} for buffered sends. */
    public static void Buffer_attach(ByteBuffer buffer) throws MPIException {
        if (buffer == null) {
            throw new MPIException("Buffer_attach: the buffer is null");
        }
        if (attached != null) {
            throw new MPIException("Buffer_attach: a buffer is already attached (Buffer_detach first)");
        }
        attached = buffer;
    }

    /** Gives MPI {@code buffer} for buffered sends (mpiJava's form). */
    public static void Buffer_attach(byte[] buffer) throws MPIException {
        if (buffer == null) {
            throw new MPIException("Buffer_attach: the buffer is null");
        }
        Buffer_attach(ByteBuffer.wrap(buffer));
    }

    /** Kept for MPJ Express programs; errors are always thrown as {@link MPIException}. */
    public static void Errorhandler_set(Errhandler errhandler) throws MPIException {
        checkInit("Errorhandler_set");
        COMM_WORLD.Errhandler_set(errhandler);
    }

    public static Errhandler Errorhandler_get() throws MPIException {
        checkInit("Errorhandler_get");
        return COMM_WORLD.Errhandler_get();
    }

    /** Waits until every buffered message was received, then takes the buffer back. */
    public static void Buffer_detach() throws MPIException {
        List<Object[]> pending;
        synchronized (PENDING_BSENDS) {
            pending = new ArrayList<>(PENDING_BSENDS);
        }
        for (Object[] p : pending) {
            await((Transfer) p[1]);
        }
        synchronized (PENDING_BSENDS) {
            PENDING_BSENDS.clear();
        }
        attached = null;
    }

    /** The thread levels are accepted for MPJ Express programs; every level is provided. */
    public static String[] initThread(int required, int provided, String[] args) throws MPIException {
        return Init(args);
    }

    public static int queryThread() {
        return THREAD_MULTIPLE;
    }

    public static boolean isMainThread() {
        return true;
    }

    // ---- internal ----------------------------------------------------------------------------

    static Device device() {
        return device;
    }

    static void checkInit(String op) throws MPIException {
        if (!initialized) {
            throw new MPIException(op + ": MPI is not initialized (call MPI.Init first)");
        }
    }

    static void checkJob() {
        // Polling loops (Waitany, Waitsome) call this between polls, so an aborted job ends them too.
        if (device != null) {
            device.check();
        }
    }

    static int worldRank() {
        return device == null ? 0 : device.rank();
    }

    static int nextContext() {
        return nextContext;
    }

    /** Marks {@code ctx} and {@code ctx + 1} taken. */
    static void reserveContext(int ctx) {
        nextContext = Math.max(nextContext, ctx + 2);
    }

    static void await(Transfer t) {
        t.await();
    }

    static void bsendReserve(long bytes) throws MPIException {
        if (attached == null) {
            throw new MPIException("Bsend: no buffer is attached (MPI.Buffer_attach one of at least "
                    + (bytes + BSEND_OVERHEAD) + " bytes)");
        }
        long used = 0;
        synchronized (PENDING_BSENDS) {
            PENDING_BSENDS.removeIf(p -> ((Transfer) p[1]).isDone());
            for (Object[] p : PENDING_BSENDS) {
                used += (Long) p[0];
            }
        }
        long need = bytes + BSEND_OVERHEAD;
        if (used + need > attached.capacity()) {
            throw new MPIException("Bsend: buffer overflow: the message needs " + need + " bytes, the attached buffer has "
                    + (attached.capacity() - used) + " of " + attached.capacity() + " free");
        }
    }

    static void bsendTrack(long bytes, Transfer t) {
        synchronized (PENDING_BSENDS) {
            PENDING_BSENDS.add(new Object[] {bytes + BSEND_OVERHEAD, t});
        }
    }

    static Datatype basicOf(int code) {
        return switch (code) {
            case Device.BYTE -> BYTE;
            case Device.CHAR -> CHAR;
            case Device.SHORT -> SHORT;
            case Device.BOOLEAN -> BOOLEAN;
            case Device.INT -> INT;
            case Device.LONG -> LONG;
            case Device.FLOAT -> FLOAT;
            case Device.DOUBLE -> DOUBLE;
            case Device.PACKED -> PACKED;
            default -> OBJECT;
        };
    }

    static String typeName(int code) {
        return switch (code) {
            case Device.BYTE -> "BYTE";
            case Device.CHAR -> "CHAR";
            case Device.SHORT -> "SHORT";
            case Device.BOOLEAN -> "BOOLEAN";
            case Device.INT -> "INT";
            case Device.LONG -> "LONG";
            case Device.FLOAT -> "FLOAT";
            case Device.DOUBLE -> "DOUBLE";
            case Device.PACKED -> "PACKED";
            case Device.OBJECT -> "OBJECT";
            case Datatype.LB_CODE -> "LB";
            case Datatype.UB_CODE -> "UB";
            default -> "type " + code;
        };
    }
}
