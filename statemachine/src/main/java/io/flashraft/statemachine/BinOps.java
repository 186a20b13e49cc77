package io.flashraft.statemachine;

import io.flashraft.device.RecordUpdate;
import io.flashraft.device.Update;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.StoredRecord;
import io.flashraft.protocol.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bin operations of an operate request, applied in order to one record as one atomic step.
 * A pure function of the record and the operations, so every replica computes the same update.
 *
 * <p>Rules, as in Aerospike: ADD works on integers (wrapping on overflow) and doubles; APPEND and
 * PREPEND on strings and bytes; a missing bin takes the operand as it is. LIST_APPEND and MAP_PUT
 * create a missing bin and answer the new size; LIST_POP answers the removed element. A type that
 * does not fit fails the whole request with BIN_TYPE_ERROR and writes nothing. An operate that
 * reads a missing record, and writes nothing, answers NOT_FOUND.
 */
final class BinOps implements RecordUpdate {
    private final List<BinOp> ops;

    BinOps(List<BinOp> ops) {
        this.ops = ops;
    }

    @Override
    public Update apply(StoredRecord current) {
        Map<String, Value> bins = current == null ? new TreeMap<>() : new TreeMap<>(current.bins().asMap());
        Map<String, Value> result = new TreeMap<>();
        boolean writes = false;
        for (BinOp op : ops) {
            Value old = bins.get(op.bin());
            switch (op.type()) {
                case READ:
                    if (old != null) {
                        result.put(op.bin(), old);
                    }
                    break;
                case MAP_GET:
                    if (old instanceof Value.MapValue map) {
                        Value found = map.entries().get(op.value());
                        if (found != null) {
                            result.put(op.bin(), found);
                        }
                    } else if (old != null) {
                        return Update.reject(ResultCode.BIN_TYPE_ERROR);
                    }
                    break;
                case DELETE:
                    writes = true;
                    bins.remove(op.bin());
                    break;
                case WRITE:
                    writes = true;
                    bins.put(op.bin(), op.value());
                    break;
                default: {
                    writes = true;
                    Value updated = modify(op, old, result);
                    if (updated == null) {
                        return Update.reject(rejection(op, old));
                    }
                    bins.put(op.bin(), updated);
                }
            }
        }
        if (!writes) {
            return current == null ? Update.reject(ResultCode.NOT_FOUND) : Update.read(Bins.of(result));
        }
        return Update.write(Bins.of(bins), Bins.of(result));
    }

    /** The bin's new value, or null when the operation does not apply to it. */
    private static Value modify(BinOp op, Value old, Map<String, Value> result) {
        Value operand = op.value();
        switch (op.type()) {
            case ADD:
                if (operand instanceof Value.IntegerValue delta) {
                    if (old == null) {
                        return delta;
                    }
                    return old instanceof Value.IntegerValue base ? Value.of(base.value() + delta.value()) : null;
                }
                if (operand instanceof Value.DoubleValue delta) {
                    if (old == null) {
                        return delta;
                    }
                    return old instanceof Value.DoubleValue base ? Value.of(base.value() + delta.value()) : null;
                }
                return null;
            case APPEND:
            case PREPEND:
                return concatenate(op.type() == BinOp.Type.APPEND, old, operand);
            case LIST_APPEND: {
                if (old != null && !(old instanceof Value.ListValue)) {
                    return null;
                }
                List<Value> elements = old == null ? new ArrayList<>() : new ArrayList<>(((Value.ListValue) old).elements());
                elements.add(operand);
                result.put(op.bin(), Value.of((long) elements.size()));
                return Value.list(elements);
            }
            case LIST_POP: {
                if (!(old instanceof Value.ListValue list) || !(operand instanceof Value.IntegerValue index)) {
                    return null;
                }
                int size = list.elements().size();
                long at = index.value() < 0 ? size + index.value() : index.value();
                if (at < 0 || at >= size) {
                    return null;
                }
                List<Value> elements = new ArrayList<>(list.elements());
                result.put(op.bin(), elements.remove((int) at));
                return Value.list(elements);
            }
            case MAP_PUT: {
                if (old != null && !(old instanceof Value.MapValue)) {
                    return null;
                }
                Map<Value, Value> entries = new TreeMap<>(Value.ORDER);
                if (old != null) {
                    entries.putAll(((Value.MapValue) old).entries());
                }
                entries.put(operand, op.mapValue());
                result.put(op.bin(), Value.of((long) entries.size()));
                return Value.map(entries);
            }
            default:
                throw new IllegalStateException("not a modifying operation: " + op.type());
        }
    }

    private static Value concatenate(boolean append, Value old, Value operand) {
        if (operand instanceof Value.StringValue text) {
            if (old == null) {
                return text;
            }
            if (old instanceof Value.StringValue base) {
                return Value.of(append ? base.value() + text.value() : text.value() + base.value());
            }
            return null;
        }
        if (operand instanceof Value.BytesValue bytes) {
            if (old == null) {
                return bytes;
            }
            if (old instanceof Value.BytesValue base) {
                byte[] first = append ? base.value() : bytes.value();
                byte[] second = append ? bytes.value() : base.value();
                byte[] joined = new byte[first.length + second.length];
                System.arraycopy(first, 0, joined, 0, first.length);
                System.arraycopy(second, 0, joined, first.length, second.length);
                return Value.of(joined);
            }
        }
        return null;
    }

    /** Why an operation did not apply: the wrong type, or an index or list that is not there. */
    private static ResultCode rejection(BinOp op, Value old) {
        if (op.type() == BinOp.Type.LIST_POP && (old == null || old instanceof Value.ListValue)
                && op.value() instanceof Value.IntegerValue) {
            return ResultCode.OP_NOT_APPLICABLE;
        }
        return ResultCode.BIN_TYPE_ERROR;
    }
}
