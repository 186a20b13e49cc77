package io.flashraft.device;

import io.flashraft.device.flash.DeviceStore;
import io.flashraft.device.memory.MemoryStore;
import io.flashraft.device.rocks.RocksStore;
import java.io.IOException;

/** Opens the record store that a {@link StoreConfig} names. */
public final class RecordStores {
    private RecordStores() {
    }

    /**
     * Opens (and for the device engine cold-starts) a store.
     *
     * @throws IOException if its files or devices cannot be opened or do not belong together
     */
    public static RecordStore open(StoreConfig config) throws IOException {
        switch (config.engine()) {
            case DEVICE:
                return DeviceStore.open(config);
            case MEMORY:
                return MemoryStore.open(config);
            case ROCKSDB:
                return RocksStore.open(config);
            default:
                throw new IllegalArgumentException("unknown engine " + config.engine());
        }
    }
}
