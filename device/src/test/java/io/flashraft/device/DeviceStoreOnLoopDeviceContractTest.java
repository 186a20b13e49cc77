package io.flashraft.device;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashraft.device.flash.DeviceStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The contract for {@link DeviceStore} on a raw block device: a loop device made with
 * {@code losetup} for each test (needs root, as in CI), written with O_DIRECT.
 */
class DeviceStoreOnLoopDeviceContractTest extends DeviceStoreContractTest {
    /** One loop device per data directory: a test that opens a second store gets a second device. */
    private final Map<Path, Path> loopDevices = new HashMap<>();

    @BeforeEach
    void needRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "loop devices need root");
    }

    /** Detaches every loop device even when closing a store or another detach fails: CI shares the pool. */
    @AfterEach
    void detachLoopDevices() throws Exception {
        Exception failure = null;
        try {
            closeStores();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Path device : loopDevices.values()) {
            try {
                run("losetup", "--detach", device.toString());
            } catch (IOException | InterruptedException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private Path loopDeviceFor(Path dataDir) {
        return loopDevices.computeIfAbsent(dataDir, d -> {
            try {
                Files.createDirectories(d);
                Path image = d.resolve("loop.img");
                try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
                    file.setLength(16L << 20);
                }
                return Path.of(run("losetup", "--find", "--show", image.toString()).trim());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("cannot attach a loop device", e);
            }
        });
    }

    @Override
    protected StoreConfig.Builder configure(StoreConfig.Builder b, Path dataDir) {
        return b.engine(StoreConfig.Engine.DEVICE).dataDir(dataDir.resolve("data")).devices(List.of(loopDeviceFor(dataDir)))
                .deviceSizeBytes(0).writeBlockSizeBytes(64 * 1024).directIo(true);
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
