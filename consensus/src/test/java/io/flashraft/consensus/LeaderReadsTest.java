package io.flashraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.rpc.RpcType;
import org.junit.jupiter.api.Test;

class LeaderReadsTest {
    @Test
    void anAskIsAnsweredOnlyByARequestMadeAfterIt() {
        LeaderReads.Asks asks = new LeaderReads.Asks();
        assertTrue(asks.answeredBy(0), "nothing asked");
        asks.ask(5);
        assertFalse(asks.answeredBy(4), "call id 4 was taken before the ask: its request does not answer it");
        assertTrue(asks.answeredBy(5), "the request after it does");
        asks.ask(7);
        asks.ask(6);
        assertFalse(asks.answeredBy(6), "the latest ask counts, whatever order asks arrive in");
        assertTrue(asks.answeredBy(7));
        assertTrue(asks.answeredBy(8), "an answered ask holds back no later request");
    }

    @Test
    void ratisMakesTheTransportFromTheNameItIsSetUnder() {
        RaftProperties properties = new RaftProperties();
        RaftConfigKeys.Rpc.setType(properties, new LeaderReads.Transport());
        RpcType type = RaftConfigKeys.Rpc.type(properties, message -> { });
        assertEquals(LeaderReads.Transport.class, type.getClass());
    }
}
