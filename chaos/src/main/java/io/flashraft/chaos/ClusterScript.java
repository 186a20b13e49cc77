package io.flashraft.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/cluster.sh}, driven from Java: every fault the harness injects goes through one
 * of its verbs, so there is one implementation of each fault. Each call waits for the script and
 * fails when the script does.
 *
 * @param root      the checkout (where {@code scripts/cluster.sh} is)
 * @param runDir    the cluster's directory ({@code FLASHRAFT_RUN})
 * @param basePort  the cluster's port base ({@code FLASHRAFT_BASE_PORT})
 * @param classpath run the nodes from these classes instead of the built jar (null: the jar)
 * @param javaOpts  the nodes' JVM options ({@code FLASHRAFT_JAVA_OPTS})
 */
public record ClusterScript(Path root, Path runDir, int basePort, String classpath, String javaOpts) {
    /** The gateway address of node n (in netns mode, its address in its namespace). */
    public String gateway(int node) throws IOException, InterruptedException {
        return run("address", String.valueOf(node)).strip();
    }

    /** Runs one verb and answers what the script printed. */
    public String run(String... verb) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("scripts").resolve("cluster.sh").toString()));
        command.addAll(List.of(verb));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("FLASHRAFT_RUN", runDir.toString());
        env.put("FLASHRAFT_BASE_PORT", String.valueOf(basePort));
        env.put("FLASHRAFT_JAVA_OPTS", javaOpts);
        if (classpath != null) {
            env.put("FLASHRAFT_CLASSPATH", classpath);
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IOException("cluster.sh " + String.join(" ", verb) + " failed:\n" + output);
        }
        return output;
    }
}
