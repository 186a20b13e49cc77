package io.flashraft.device;

import io.flashraft.device.flash.DeviceStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** The contract for {@link DeviceStore} on a regular file, with small write blocks so records span many. */
class DeviceStoreContractTest extends RecordStoreContractTest {
    @Override
    protected StoreConfig.Builder configure(StoreConfig.Builder b, Path dataDir) {
        return b.engine(StoreConfig.Engine.DEVICE).dataDir(dataDir.resolve("data"))
                .devices(List.of(dataDir.resolve("device.dat"))).deviceSizeBytes(16L << 20)
                .writeBlockSizeBytes(64 * 1024);
    }

    @Override
    protected boolean tombstonesOutliveOlderVersions() {
        return true;
    }

    @Override
    protected RecordStore open(StoreConfig config) {
        try {
            return DeviceStore.open(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
