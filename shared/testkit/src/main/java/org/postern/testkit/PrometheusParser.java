package org.postern.testkit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A metrics page as a real Prometheus parser reads it: the Python client's
 * ({@code python3-prometheus-client}, which deploy/test installs), so that a test checks what a
 * scraper accepts, not what a hand-written reader expects.
 */
public final class PrometheusParser {

  private PrometheusParser() {}

  /**
   * The page as {family: {type, samples: [{name, labels, value}]}}; a family read twice (its
   * samples split), or a page the parser refuses, fails with the page in the message.
   *
   * @param work a directory for the page's file
   */
  public static JsonObject parse(Path work, String text) throws IOException, InterruptedException {
    Path page = Files.createTempFile(work, "metrics", ".txt");
    Files.writeString(page, text, StandardCharsets.UTF_8);
    String script = String.join("\n",
        "import json, sys",
        "from prometheus_client.parser import text_string_to_metric_families",
        "out = {}",
        "for f in text_string_to_metric_families(open(sys.argv[1]).read()):",
        "    if f.name in out: sys.exit('family read twice: ' + f.name)",
        "    out[f.name] = {'type': f.type, 'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value} for s in f.samples]}",
        "print(json.dumps(out))");
    Process p = new ProcessBuilder(List.of(Peers.python(), "-c", script, page.toString())).redirectErrorStream(true)
        .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the Prometheus parser did not finish");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(output + "\n(the parser is python3-prometheus-client: apt-get install -y"
          + " python3-prometheus-client)\n--- page ---\n" + text);
    }
    return new JsonObject(output);
  }

  /**
   * The value of the sample {@code sample} whose labels include {@code labels}, summed over the
   * samples that match (0 when none does): a counter's value whatever labels it has besides.
   */
  public static double value(JsonObject parsed, String sample, Map<String, String> labels) {
    double sum = 0;
    for (String family : parsed.fieldNames()) {
      JsonArray samples = parsed.getJsonObject(family).getJsonArray("samples");
      for (int i = 0; i < samples.size(); i++) {
        JsonObject s = samples.getJsonObject(i);
        if (!s.getString("name").equals(sample)) {
          continue;
        }
        JsonObject have = s.getJsonObject("labels");
        if (labels.entrySet().stream().allMatch(e -> e.getValue().equals(have.getString(e.getKey())))) {
          sum += s.getDouble("value");
        }
      }
    }
    return sum;
  }

  /** Whether any sample is named {@code sample}. */
  public static boolean has(JsonObject parsed, String sample) {
    return parsed.fieldNames().stream().anyMatch(f -> parsed.getJsonObject(f).getJsonArray("samples").stream()
        .anyMatch(s -> ((JsonObject) s).getString("name").equals(sample)));
  }
}
