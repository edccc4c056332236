package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana checked by Prometheus's own promtool (deploy/grafana/check.sh): the alert rules
 * load and fire on the series their test file gives them, and every dashboard query parses, so a
 * renamed metric or a typo in a query fails the build rather than an operator's dashboard.
 */
class GrafanaFilesTest {

  @Test
  void dashboardQueriesParseAndAlertsFireAsExpected() throws Exception {
    Process p = new ProcessBuilder(List.of("bash", NodeProcess.REPO.resolve("deploy/grafana/check.sh").toString()))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check.sh did not finish");
    assertEquals(0, p.exitValue(), out + "\n(promtool is in Debian's prometheus package: apt-get install -y prometheus)");
    assertTrue(out.matches("(?s).*postern\\.json: \\d+ panels, \\d+ queries.*"), out);
  }
}
