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
    void anAskThatCameSinceTheLastSendOutlivesTheNextSendAndOnlyIt() {
        LeaderReads.Asks asks = new LeaderReads.Asks();
        assertTrue(asks.sendMayClear(), "nothing asked");
        asks.ask();
        assertFalse(asks.sendMayClear(), "asked while this request was being made: one more must follow");
        assertTrue(asks.sendMayClear(), "the request after it answers the ask");
        asks.ask();
        asks.ask();
        assertFalse(asks.sendMayClear());
        asks.ask();
        assertFalse(asks.sendMayClear(), "asked again since");
        assertTrue(asks.sendMayClear());
        assertTrue(asks.sendMayClear());
    }

    @Test
    void ratisMakesTheTransportFromTheNameItIsSetUnder() {
        RaftProperties properties = new RaftProperties();
        RaftConfigKeys.Rpc.setType(properties, new LeaderReads.Transport());
        RpcType type = RaftConfigKeys.Rpc.type(properties, message -> { });
        assertEquals(LeaderReads.Transport.class, type.getClass());
    }
}
