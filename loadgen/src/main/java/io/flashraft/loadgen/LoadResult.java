package io.flashraft.loadgen;

import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * What a load measured (the warm-up left out).
 *
 * @param system     the driver's name
 * @param durability what an acknowledged write survived there
 * @param spec       the load
 * @param seconds    the measured time
 * @param operations per operation kind that ran
 */
public record LoadResult(String system, String durability, LoadSpec spec, double seconds, List<OperationStats> operations) {

    /** Latencies in microseconds; for open loop, measured from when the operation was due. */
    public record OperationStats(Operation operation, long count, long errors, double p50Us, double p99Us, double p999Us,
                                 double maxUs, double meanUs) {
        static OperationStats of(Operation operation, Histogram latencies, long errors) {
            return new OperationStats(operation, latencies.getTotalCount(), errors,
                    latencies.getValueAtPercentile(50) / 1e3, latencies.getValueAtPercentile(99) / 1e3,
                    latencies.getValueAtPercentile(99.9) / 1e3, latencies.getMaxValue() / 1e3, latencies.getMean() / 1e3);
        }
    }

    /** Operations per second, errors left out. */
    public double throughput() {
        return operations.stream().mapToLong(OperationStats::count).sum() / seconds;
    }

    public long errors() {
        return operations.stream().mapToLong(OperationStats::errors).sum();
    }

    /** The result as one JSON object. */
    public String toJson() {
        StringBuilder out = new StringBuilder();
        out.append("{\"system\":").append(quote(system)).append(",\"durability\":").append(quote(durability))
                .append(",\"threads\":").append(spec.threads()).append(",\"target_rate\":").append(spec.targetRate())
                .append(",\"keys\":").append(spec.keys()).append(",\"distribution\":").append(quote(spec.distribution()))
                .append(",\"value_bytes\":").append(spec.valueBytes()).append(",\"mix\":").append(quote(spec.mix().toString()))
                .append(",\"seconds\":").append(format(seconds)).append(",\"throughput\":").append(format(throughput()))
                .append(",\"errors\":").append(errors()).append(",\"operations\":{");
        for (int i = 0; i < operations.size(); i++) {
            OperationStats op = operations.get(i);
            out.append(i == 0 ? "" : ",").append(quote(op.operation().label())).append(":{\"count\":").append(op.count())
                    .append(",\"errors\":").append(op.errors()).append(",\"p50_us\":").append(format(op.p50Us()))
                    .append(",\"p99_us\":").append(format(op.p99Us())).append(",\"p999_us\":").append(format(op.p999Us()))
                    .append(",\"max_us\":").append(format(op.maxUs())).append(",\"mean_us\":").append(format(op.meanUs()))
                    .append('}');
        }
        return out.append("}}").toString();
    }

    /** A table for people: one line per operation. */
    public String toTable() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%s (%s): %,.0f ops/s over %.1f s, %d threads%s, %,d keys %s, %d B values, mix %s%n",
                system, durability, throughput(), seconds, spec.threads(),
                spec.openLoop() ? String.format(Locale.ROOT, ", target %,.0f ops/s", spec.targetRate()) : ", closed loop",
                spec.keys(), spec.distribution(), spec.valueBytes(), spec.mix()));
        out.append(String.format(Locale.ROOT, "%-7s %10s %8s %10s %10s %10s %10s%n", "op", "count", "errors", "p50 ms", "p99 ms",
                "p99.9 ms", "max ms"));
        for (OperationStats op : operations) {
            out.append(String.format(Locale.ROOT, "%-7s %,10d %8d %10.2f %10.2f %10.2f %10.2f%n", op.operation().label(), op.count(),
                    op.errors(), op.p50Us() / 1e3, op.p99Us() / 1e3, op.p999Us() / 1e3, op.maxUs() / 1e3));
        }
        return out.toString();
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
