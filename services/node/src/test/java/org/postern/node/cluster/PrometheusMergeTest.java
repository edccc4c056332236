package org.postern.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pages from real Micrometer registries, merged, then read back by a real Prometheus parser (the
 * Python client's, which the CI installs): the merged page must be one a scraper accepts, with
 * every family once and every sample naming its node.
 */
class PrometheusMergeTest {

  @TempDir
  Path work;

  /** A node's page: a counter, a histogram with buckets, and a gauge only some nodes have. */
  private static String page(long accepted, boolean withCertificate) {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter.builder("postern_queue_replicas_stored").description("replicas stored").register(r).increment(accepted);
    Timer t = Timer.builder("postern_commit").publishPercentileHistogram().serviceLevelObjectives(Duration.ofMillis(1))
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMillis(10)).register(r);
    t.record(2, TimeUnit.MILLISECONDS);
    if (withCertificate) {
      // A supplier: Micrometer holds it strongly. (r.gauge(name, tags, 1.9e9) holds the boxed number
      // weakly, and a GC before the scrape made the sample NaN: seen once in CI.)
      io.micrometer.core.instrument.Gauge.builder("postern_tls_certificate_not_after_seconds", () -> 1.9e9)
          .tag("subject", "CN=mx \"one\"").register(r);
    }
    return r.scrape();
  }

  @Test
  void everySampleNamesItsNodeAndEachFamilyAppearsOnce() throws Exception {
    PrometheusMerge.Merged m = PrometheusMerge.merge(List.of(
        new PrometheusMerge.Page("node-a.example", page(3, true), true),
        new PrometheusMerge.Page("node-b.example", page(5, false), true),
        new PrometheusMerge.Page("127.0.0.1:5710", "", false)));
    assertEquals(0, m.dropped());
    JsonObject parsed = parse(m.text());

    // The counter: once, with a sample from each node that answered.
    JsonObject replicas = parsed.getJsonObject("postern_queue_replicas_stored");
    assertEquals("counter", replicas.getString("type"));
    assertEquals(Set.of("node-a.example=3.0", "node-b.example=5.0"), valuesByNode(replicas, "postern_queue_replicas_stored_total"));
    // The histogram's buckets, sum and count stay in their family.
    JsonObject commit = parsed.getJsonObject("postern_commit_seconds");
    assertEquals("histogram", commit.getString("type"));
    assertEquals(Set.of("node-a.example=1.0", "node-b.example=1.0"), valuesByNode(commit, "postern_commit_seconds_count"));
    assertTrue(commit.getJsonArray("samples").stream().map(o -> (JsonObject) o)
        .anyMatch(s -> s.getString("name").endsWith("_bucket") && "node-b.example".equals(s.getJsonObject("labels").getString("node"))));
    // Labels a node already had are kept, escapes and all.
    JsonObject cert = parsed.getJsonObject("postern_tls_certificate_not_after_seconds");
    JsonObject labels = cert.getJsonArray("samples").getJsonObject(0).getJsonObject("labels");
    assertEquals("node-a.example", labels.getString("node"));
    assertEquals("CN=mx \"one\"", labels.getString("subject"));
    // Who answered, and who did not.
    assertEquals(Set.of("node-a.example=1.0", "node-b.example=1.0", "127.0.0.1:5710=0.0"),
        valuesByNode(parsed.getJsonObject("postern_cluster_member_up"), "postern_cluster_member_up"));
  }

  @Test
  void aMalformedLineFromAMemberIsDroppedAndCounted() throws Exception {
    String hostile = "# TYPE evil_total counter\nevil_total{x=\"1\"} 1\nnot a sample line at all\n"
        + "evil_total{x=\"2\"} 2 3 4\n\u0000garbage 1\n";
    PrometheusMerge.Merged m = PrometheusMerge.merge(List.of(new PrometheusMerge.Page("n1", hostile, true)));
    assertEquals(3, m.dropped(), m.text());
    assertFalse(m.text().contains("garbage") || m.text().contains("not a sample"), m.text());
    JsonObject parsed = parse(m.text());
    assertEquals(Set.of("n1=1.0"), valuesByNode(parsed.getJsonObject("evil"), "evil_total"));
  }

  @Test
  void aNodeNameIsEscapedAsALabelValue() {
    PrometheusMerge.Merged m = PrometheusMerge.merge(List.of(new PrometheusMerge.Page("a\"b\\c", "x 1\n", true)));
    assertTrue(m.text().contains("x{node=\"a\\\"b\\\\c\"} 1\n"), m.text());
  }

  private static Set<String> valuesByNode(JsonObject family, String sampleName) {
    Set<String> out = new LinkedHashSet<>();
    family.getJsonArray("samples").stream().map(o -> (JsonObject) o).filter(s -> s.getString("name").equals(sampleName))
        .forEach(s -> out.add(s.getJsonObject("labels").getString("node") + "=" + s.getValue("value")));
    return out;
  }

  /** The page as Prometheus's Python client reads it; a family read twice fails there. */
  private JsonObject parse(String text) throws Exception {
    return org.postern.testkit.PrometheusParser.parse(work, text);
  }
}
