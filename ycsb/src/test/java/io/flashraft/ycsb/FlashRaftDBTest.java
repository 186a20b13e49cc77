package io.flashraft.ycsb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import site.ycsb.ByteIterator;
import site.ycsb.Client;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;

/** The YCSB binding against a 3-node in-JVM cluster: each operation, then YCSB's own client running a core workload. */
class FlashRaftDBTest {
    @TempDir
    Path dir;

    private static Map<String, String> strings(Map<String, ByteIterator> values) {
        Map<String, String> out = new HashMap<>();
        values.forEach((name, value) -> out.put(name, new String(value.toArray(), StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void everyOperationOfYcsbIsServedAndYcsbsClientRunsAWorkload() throws Exception {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start()) {
            cluster.awaitLeaders();
            String seed = "127.0.0.1:" + cluster.config().nodes().get(0).gatewayPort();
            Properties properties = new Properties();
            properties.setProperty("flashraft.seeds", seed);
            properties.setProperty("flashraft.namespace", TestCluster.NAMESPACE);
            FlashRaftDB db = new FlashRaftDB();
            db.setProperties(properties);
            db.init();
            try {
                assertEquals(Status.NOT_FOUND, db.read("usertable", "user1", null, new HashMap<>()));
                assertEquals(Status.OK, db.insert("usertable", "user1",
                        StringByteIterator.getByteIteratorMap(Map.of("field0", "a", "field1", "b"))));
                assertEquals(Status.OK, db.update("usertable", "user1", StringByteIterator.getByteIteratorMap(Map.of("field1", "c"))));
                Map<String, ByteIterator> all = new HashMap<>();
                assertEquals(Status.OK, db.read("usertable", "user1", null, all));
                assertEquals(Map.of("field0", "a", "field1", "c"), strings(all), "an update keeps the other fields");
                Map<String, ByteIterator> one = new HashMap<>();
                assertEquals(Status.OK, db.read("usertable", "user1", Set.of("field1"), one));
                assertEquals(Map.of("field1", "c"), strings(one));
                assertEquals(Status.NOT_IMPLEMENTED, db.scan("usertable", "user1", 10, null, new Vector<>()));
                assertEquals(Status.OK, db.delete("usertable", "user1"));
                assertEquals(Status.NOT_FOUND, db.read("usertable", "user1", null, new HashMap<>()));
            } finally {
                db.cleanup();
            }

            // YCSB's own client, as a user runs it: a process of its own (it ends with System.exit).
            String loaded = ycsb("-load", seed);
            assertTrue(loaded.contains("[INSERT], Return=OK, 200"), loaded);
            String ran = ycsb("-t", seed);
            assertTrue(ran.contains("[READ], Return=OK") && ran.contains("[UPDATE], Return=OK")
                    && !ran.contains("Return=NOT_FOUND") && !ran.contains("Return=ERROR"), ran);
        }
    }

    /** Runs YCSB's client (a load or a run phase of workload A's mix) and returns its output. */
    private String ycsb(String phase, String seed) throws Exception {
        Path output = dir.resolve("ycsb" + phase + ".txt");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Client.class.getName(), phase,
                "-db", FlashRaftDB.class.getName(), "-threads", "4",
                "-p", "workload=site.ycsb.workloads.CoreWorkload", "-p", "recordcount=200", "-p", "operationcount=400",
                "-p", "readproportion=0.5", "-p", "updateproportion=0.5", "-p", "scanproportion=0", "-p", "insertproportion=0",
                "-p", "flashraft.seeds=" + seed, "-p", "flashraft.namespace=" + TestCluster.NAMESPACE)
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "YCSB " + phase + " did not end in 120 s");
        String text = Files.readString(output);
        assertEquals(0, process.exitValue(), text);
        return text;
    }
}
