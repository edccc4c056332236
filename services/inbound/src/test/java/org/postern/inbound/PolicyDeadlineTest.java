package org.postern.inbound;


import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without an answer from policy within policy.timeout, the client gets a temporary failure, never service. */
class PolicyDeadlineTest {

  @TempDir
  Path dir;

  @Test
  void noPolicyAtConnectIs421AndTheConnectionCloses() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("policy.timeout=1s").withoutPolicy().start();
        SmtpClient c = f.connect()) {
      c.expect("421 4.3.0 " + InboundFixture.HOSTNAME + " Service temporarily unavailable");
      f.awaitLog("policy unavailable at connect from [127.0.0.1]");
    }
  }
}
