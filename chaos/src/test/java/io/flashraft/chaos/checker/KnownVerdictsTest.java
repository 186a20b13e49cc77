package io.flashraft.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.chaos.history.History;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The checkers against histories whose verdicts Knossos, Porcupine and Elle agreed on: every row
 * of every {@code VERDICTS.tsv} under the histories folder ({@code $FLASHRAFT_HISTORIES}, else
 * {@code ../shared/histories} beside the checkout) must get its listed verdict.
 */
class KnownVerdictsTest {
    private static final Map<String, HistoryChecker.Workload> FOLDERS = Map.of(
            "register", HistoryChecker.Workload.REGISTER,
            "register-independent", HistoryChecker.Workload.REGISTER_INDEPENDENT,
            "list-append", HistoryChecker.Workload.LIST_APPEND);

    static Path historiesFolder() {
        String env = System.getenv("FLASHRAFT_HISTORIES");
        String path = env != null && !env.isBlank() ? env : System.getProperty("flashraft.histories");
        assertTrue(path != null && !path.isBlank(), "set FLASHRAFT_HISTORIES or -Dflashraft.histories");
        Path folder = Path.of(path);
        assertTrue(Files.isDirectory(folder), "the histories folder " + folder.toAbsolutePath() + " is missing");
        return folder;
    }

    @TestFactory
    Stream<DynamicTest> everyHistoryGetsItsKnownVerdict() throws IOException {
        Path root = historiesFolder();
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, HistoryChecker.Workload> folder : FOLDERS.entrySet()) {
            Path verdicts = root.resolve(folder.getKey()).resolve("VERDICTS.tsv");
            assertTrue(Files.isRegularFile(verdicts), verdicts + " is missing");
            List<String> rows = Files.readAllLines(verdicts);
            assertEquals("file", rows.get(0).split("\t")[0], "the first row of " + verdicts + " names the columns");
            assertFalse(rows.size() < 2, verdicts + " lists no history");
            for (String row : rows.subList(1, rows.size())) {
                if (row.isBlank()) {
                    continue;
                }
                String[] columns = row.split("\t");
                Path file = verdicts.getParent().resolve(columns[0]);
                boolean valid = switch (columns[1]) {
                    case "valid" -> true;
                    case "invalid" -> false;
                    default -> throw new IllegalArgumentException("verdict " + columns[1] + " in " + verdicts);
                };
                tests.add(DynamicTest.dynamicTest(folder.getKey() + "/" + columns[0] + " is " + columns[1], () -> {
                    HistoryChecker.Result result = HistoryChecker.check(folder.getValue(), History.read(file));
                    assertEquals(valid ? Linearizability.Verdict.VALID : Linearizability.Verdict.INVALID, result.verdict(),
                            () -> file + " (" + String.join(" | ", columns) + "): " + result);
                }));
            }
        }
        return tests.stream();
    }
}
