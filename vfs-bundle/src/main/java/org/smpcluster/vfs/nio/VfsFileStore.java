package org.smpcluster.vfs.nio;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;

import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.client.VfsClient;

/** The root's storage device under the repository, as {@code df} sees it. */
final class VfsFileStore extends FileStore {

    private final VfsClient client;

    VfsFileStore(VfsClient client) {
        this.client = client;
    }

    private VfsClient.StatFs statfs() throws IOException {
        try {
            return client.statfs();
        } catch (Failure f) {
            throw f.errno().exception("vfs", null, f.getMessage());
        }
    }

    @Override
    public String name() {
        return "vfs";
    }

    @Override
    public String type() {
        return "smpcluster-vfs";
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public long getTotalSpace() throws IOException {
        return statfs().total();
    }

    @Override
    public long getUsableSpace() throws IOException {
        return statfs().usable();
    }

    @Override
    public long getUnallocatedSpace() throws IOException {
        return statfs().unallocated();
    }

    @Override
    public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
        return type == BasicFileAttributeView.class || type == PosixFileAttributeView.class;
    }

    @Override
    public boolean supportsFileAttributeView(String name) {
        return name.equals("basic") || name.equals("posix");
    }

    @Override
    public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
        return null;
    }

    @Override
    public Object getAttribute(String attribute) throws IOException {
        return switch (attribute) {
            case "totalSpace" -> getTotalSpace();
            case "usableSpace" -> getUsableSpace();
            case "unallocatedSpace" -> getUnallocatedSpace();
            default -> throw new UnsupportedOperationException("no file store attribute '" + attribute + "'");
        };
    }
}
