package io.flashraft.consensus;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

class DurabilityCheckTest {
    @Test
    void ratisSettingsThatAcknowledgeBeforeTheFsyncAreRefused() {
        RaftProperties unsafe = new RaftProperties();
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(unsafe, true);
        assertTrue(assertThrows(IllegalStateException.class, () -> NodeServer.checkDurable(unsafe)).getMessage()
                .contains("unsafe-flush.enabled=true"));
        RaftProperties async = new RaftProperties();
        RaftServerConfigKeys.Log.setAsyncFlushEnabled(async, true);
        assertThrows(IllegalStateException.class, () -> NodeServer.checkDurable(async));
        assertTrue(NodeServer.checkDurable(new RaftProperties()).contains("fsynced on a majority"));
    }
}
