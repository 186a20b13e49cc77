package io.flashraft.loadgen.peers;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.flashraft.loadgen.Driver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The load generator's etcd, through jetcd: key {@code k} is the etcd key {@code PREFIX/k}.
 * Reads are etcd's default range reads, which are linearizable (a read index round through the
 * leader); connection i talks to endpoint i (mod the endpoints), as a client spread over the
 * members would, and a member forwards writes to its leader.
 */
public final class EtcdDriver implements Driver {
    private static final long TIMEOUT_S = 30;

    private final Connections<Client> clients;
    private final String prefix;

    private EtcdDriver(Connections<Client> clients, String prefix) {
        this.clients = clients;
        this.prefix = prefix;
    }

    /**
     * Connects {@code connections} clients to the endpoints ({@code http://host:port}).
     *
     * @param prefix the keys' prefix, so that runs and tests do not meet
     */
    public static EtcdDriver connect(List<String> endpoints, int connections, String prefix) {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            clients.add(Client.builder().endpoints(endpoints.get(i % endpoints.size())).build());
        }
        return new EtcdDriver(new Connections<>(clients), prefix);
    }

    private ByteSequence key(long key) {
        return ByteSequence.from(prefix + "/" + key, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] read(long key) throws Exception {
        GetResponse response = clients.get().getKVClient().get(key(key)).get(TIMEOUT_S, TimeUnit.SECONDS);
        return response.getKvs().isEmpty() ? null : response.getKvs().get(0).getValue().getBytes();
    }

    @Override
    public void update(long key, byte[] value) throws Exception {
        clients.get().getKVClient().put(key(key), ByteSequence.from(value)).get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @Override
    public String durability() {
        return "WAL fsynced on a majority before ok (etcd's default)";
    }

    @Override
    public void close() {
        clients.all().forEach(Client::close);
    }
}
