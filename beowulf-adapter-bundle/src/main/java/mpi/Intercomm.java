package mpi;

import org.smpcluster.beowulf.mpj.Device;
import org.smpcluster.beowulf.mpj.Payload;

/** An inter-communicator: ranks in point-to-point calls are ranks of the remote group. */
public class Intercomm extends Comm {

    private static final int TAG_MERGE = 20;

    private final Intracomm local;

    Intercomm(int context, Group group, Group remote, Intracomm local) {
        super(context, group, remote);
        this.local = local;
    }

    @Override
    public boolean Test_inter() throws MPIException {
        return true;
    }

    /** The size of the remote group. */
    public int Remote_size() throws MPIException {
        return remote.ranks.length;
    }

    /** The remote group. */
    public Group Remote_group() throws MPIException {
        return new Group(remote.ranks.clone());
    }

    /**
     * One intra-communicator of both groups; the group that passes {@code high=false} comes first
     * (if both pass the same, the group whose leader has the lower world rank). Collective over both.
     */
    public Intracomm Merge(boolean high) throws MPIException {
        int ctx = local.agreedContext();
        int[] theirs = new int[2];
        if (local.Rank() == 0) {
            csend(context + 1, 0, TAG_MERGE, new Payload(Device.INT, new int[] {ctx, high ? 1 : 0}, 0, 2));
            theirs = (int[]) crecv(context + 1, 0, TAG_MERGE).data();
        }
        local.Bcast(theirs, 0, 2, MPI.INT, 0);
        int merged = Math.max(ctx, theirs[0]);
        MPI.reserveContext(merged);
        boolean remoteHigh = theirs[1] == 1;
        boolean localFirst = high != remoteHigh ? !high : group.ranks[0] < remote.ranks[0];
        Group a = localFirst ? group : remote;
        Group b = localFirst ? remote : group;
        int[] ranks = new int[a.ranks.length + b.ranks.length];
        System.arraycopy(a.ranks, 0, ranks, 0, a.ranks.length);
        System.arraycopy(b.ranks, 0, ranks, a.ranks.length, b.ranks.length);
        return new Intracomm(merged, new Group(ranks));
    }
}
