package org.postern.node;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.postern.bus.ConfigPush;
import org.postern.config.ConfigLoader;
import org.postern.node.push.ConfigRoutes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code postern config diff A B}: what changes from A to B, each a pushed version (a number, read
 * from a running node) or a configuration file. Settings are compared key by key; the policy maps
 * and TLS files of two versions line by line. Exit 0 when they are the same, 1 when they differ, as
 * diff(1) does, so a script can ask.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Show what changes from A to B: each a configuration push VERSION (from a running node) or a"
        + " configuration FILE. Settings by key ('- key = old', '+ key = new'); policy maps and TLS files by line.",
        "Exit 0 when they are the same, 1 when they differ, 2 on an error."})
final class ConfigDiff implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "A", description = "A version number or a configuration file.")
  String a;

  @Parameters(index = "1", paramLabel = "B", description = "A version number or a configuration file.")
  String b;

  @Mixin
  AdminOptions node;

  /** The parts of a configuration compared, by name; null for a part that is absent. */
  private record Parts(Map<String, String> settings, Map<String, String> files) {}

  @Override
  public Integer call() throws InterruptedException {
    Parts from;
    Parts to;
    try {
      from = read(a);
      to = read(b);
    } catch (AdminClient.Failure f) {
      System.err.println("postern config diff: " + f.getMessage());
      return f.exitCode == 1 ? 2 : f.exitCode;
    }
    StringBuilder out = new StringBuilder();
    TreeSet<String> keys = new TreeSet<>(from.settings().keySet());
    keys.addAll(to.settings().keySet());
    for (String k : keys) {
      String x = from.settings().get(k);
      String y = to.settings().get(k);
      if (!Objects.equals(x, y)) {
        if (x != null) {
          out.append("- ").append(k).append(" = ").append(x).append('\n');
        }
        if (y != null) {
          out.append("+ ").append(k).append(" = ").append(y).append('\n');
        }
      }
    }
    List<String> names = new ArrayList<>(from.files().keySet());
    to.files().keySet().stream().filter(n -> !names.contains(n)).forEach(names::add);
    for (String name : names) {
      String x = from.files().getOrDefault(name, "");
      String y = to.files().getOrDefault(name, "");
      if (!x.equals(y)) {
        out.append("== ").append(name).append('\n');
        LineDiff.append(out, x.lines().toList(), y.lines().toList());
      }
    }
    System.out.print(out);
    System.out.flush();
    return out.isEmpty() ? 0 : 1;
  }

  private Parts read(String which) throws AdminClient.Failure, InterruptedException {
    if (which.matches("[0-9]+")) {
      JsonObject got = node.client().post("/config/get", new JsonObject().put("version", Long.parseLong(which)),
          ConfigRoutes.DEADLINE.plusSeconds(30));
      ConfigPush p = ConfigPush.fromJson(got.getJsonObject("bundle"));
      Map<String, String> files = new LinkedHashMap<>();
      put(files, "policy.access_map", p.accessMap());
      put(files, "policy.tls_policy_map", p.tlsPolicyMap());
      if (p.tls() != null) {
        for (ConfigPush.Certificate c : p.tls().certificates()) {
          files.put("tls certificate " + c.name(), c.chain() + "key SHA-256 " + c.keySha256() + "\n");
        }
        put(files, "tls.ca_file", p.tls().caFile());
        put(files, "tls.crl_file", p.tls().crlFile());
      }
      return new Parts(settings("version " + which, p.settings() == null ? "" : p.settings().text()), files);
    }
    Path file = Path.of(which);
    try {
      return new Parts(settings(which, Files.readString(file, StandardCharsets.UTF_8)), Map.of());
    } catch (java.nio.file.NoSuchFileException e) {
      throw new AdminClient.Failure(which + ": neither a version number nor an existing file", 2);
    } catch (IOException e) {
      throw new AdminClient.Failure(which + ": cannot read: " + e.getMessage(), 2);
    }
  }

  private static Map<String, String> settings(String name, String text) throws AdminClient.Failure {
    List<String> problems = new ArrayList<>();
    Map<String, String> out = new LinkedHashMap<>();
    ConfigLoader.entries(name, text, problems).forEach((k, v) -> out.put(k, v.value()));
    if (!problems.isEmpty()) {
      throw new AdminClient.Failure(String.join("; ", problems), 2);
    }
    return out;
  }

  private static void put(Map<String, String> files, String name, ConfigPush.Text t) {
    if (t != null) {
      files.put(name + " (" + t.name() + ")", t.text());
    }
  }

  /** A line diff by longest common subsequence: policy maps are small enough for its square cost. */
  static final class LineDiff {
    private LineDiff() {}

    static void append(StringBuilder out, List<String> x, List<String> y) {
      int[][] lcs = new int[x.size() + 1][y.size() + 1];
      for (int i = x.size() - 1; i >= 0; i--) {
        for (int j = y.size() - 1; j >= 0; j--) {
          lcs[i][j] = x.get(i).equals(y.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
      }
      int i = 0;
      int j = 0;
      while (i < x.size() || j < y.size()) {
        if (i < x.size() && j < y.size() && x.get(i).equals(y.get(j))) {
          i++;
          j++;
        } else if (j == y.size() || (i < x.size() && lcs[i + 1][j] >= lcs[i][j + 1])) {
          out.append("- ").append(x.get(i++)).append('\n');
        } else {
          out.append("+ ").append(y.get(j++)).append('\n');
        }
      }
    }
  }
}
