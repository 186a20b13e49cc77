package io.flashraft.loadgen;

import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The share of each operation in a load: one of YCSB's core workloads (A, B, C, D, F; E needs
 * range scans) or a list such as {@code read=90,update=10}.
 */
public final class OperationMix {
    private final Map<Operation, Integer> weights;
    private final Operation[] table;

    private OperationMix(Map<Operation, Integer> weights) {
        int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        if (total <= 0) {
            throw new IllegalArgumentException("an operation mix needs a positive weight");
        }
        this.weights = Map.copyOf(weights);
        this.table = new Operation[total];
        int at = 0;
        for (Operation op : Operation.values()) {
            for (int i = 0; i < weights.getOrDefault(op, 0); i++) {
                table[at++] = op;
            }
        }
    }

    /** YCSB workload A to F (not E), or weights {@code op=weight,...} of read, update, insert, rmw. */
    public static OperationMix parse(String spec) {
        return switch (spec.toUpperCase(java.util.Locale.ROOT)) {
            case "A" -> of(Operation.READ, 50, Operation.UPDATE, 50);
            case "B" -> of(Operation.READ, 95, Operation.UPDATE, 5);
            case "C" -> of(Operation.READ, 100, Operation.UPDATE, 0);
            case "D" -> of(Operation.READ, 95, Operation.INSERT, 5);
            case "E" -> throw new IllegalArgumentException("YCSB workload E needs range scans, which this generator does not drive");
            case "F" -> of(Operation.READ, 50, Operation.READ_MODIFY_WRITE, 50);
            default -> custom(spec);
        };
    }

    private static OperationMix of(Operation a, int weightA, Operation b, int weightB) {
        Map<Operation, Integer> weights = new EnumMap<>(Operation.class);
        weights.put(a, weightA);
        weights.put(b, weightB);
        return new OperationMix(weights);
    }

    private static OperationMix custom(String spec) {
        Map<Operation, Integer> weights = new EnumMap<>(Operation.class);
        for (String part : spec.split(",")) {
            String[] pair = part.trim().split("=");
            if (pair.length != 2) {
                throw new IllegalArgumentException("an operation mix is A..F or op=weight,... (read, update, insert, rmw), not " + spec);
            }
            int weight;
            try {
                weight = Integer.parseInt(pair[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the weight of " + pair[0] + " is a whole number, not " + pair[1]);
            }
            if (weight < 0 || weights.put(Operation.ofLabel(pair[0].trim()), weight) != null) {
                throw new IllegalArgumentException("each operation once, with a weight of 0 or more: " + spec);
            }
        }
        return new OperationMix(weights);
    }

    /** The next operation, drawn by weight. */
    public Operation next(SplittableRandom random) {
        return table[random.nextInt(table.length)];
    }

    /** The weight of an operation, in the same unit as the others. */
    public int weight(Operation op) {
        return weights.getOrDefault(op, 0);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Operation op : Operation.values()) {
            if (weight(op) > 0) {
                out.append(out.length() == 0 ? "" : ",").append(op.label()).append('=').append(weight(op));
            }
        }
        return out.toString();
    }
}
