package org.postern.node;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.postern.bus.ConfigPush;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.config.Setting;
import org.postern.config.Settings;
import org.postern.node.push.ConfigRoutes;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postern config show}: Postfix's {@code postconf}. Every setting comes from
 * {@link Settings}, so a new setting shows here without any change; the effective values are
 * what {@code postern run} would read from the same {@code --config} and {@code --set}. With a
 * version number instead of keys it prints what that configuration push carried, from a running
 * node.
 */
@Command(name = "show", mixinStandardHelpOptions = true,
    description = {"Print settings as 'key = value' lines, as postconf does: the effective configuration (the file"
        + " read over the defaults, as 'postern run' reads it), only what differs from the defaults (-n), or the"
        + " defaults (-d). KEY... prints only those settings; an unknown key is an error (exit 2).",
        "'config show VERSION' prints the files of that configuration push instead, from a running node."})
final class ConfigShow implements Callable<Integer> {

  /** Which values: the file's (default), only the changed ones, or the defaults. */
  static final class Which {
    @Option(names = "-n", description = "Only settings whose value differs from the default (postconf -n).")
    boolean changed;

    @Option(names = "-d", description = "The defaults, whatever the file says (postconf -d).")
    boolean defaults;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Which which = new Which();

  @Option(names = "--config", paramLabel = "FILE",
      description = "Configuration file, as given to 'postern run' (default: none, the embedded defaults).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting; repeatable.")
  List<String> sets = new ArrayList<>();

  @Parameters(paramLabel = "KEY", arity = "0..*", description = "Settings to print (default: all), or one VERSION.")
  List<String> keys = new ArrayList<>();

  @Option(names = "--admin", paramLabel = "HOST:PORT",
      description = "For VERSION: the node's admin API (default: node.admin_listen of --config).")
  String admin;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "For VERSION: the node's data directory holding admin.token (default: node.data_dir of --config).")
  Path dataDir;

  @Override
  public Integer call() throws InterruptedException {
    if (keys.size() == 1 && keys.get(0).matches("[0-9]+")) {
      return showVersion(Long.parseLong(keys.get(0)));
    }
    for (String key : keys) {
      if (!Settings.all().containsKey(key)) {
        String hint = ConfigLoader.nearestKey(key);
        System.err.println("postern config show: " + key + ": unknown setting"
            + (hint == null ? "" : " (did you mean " + hint + "?)"));
        return 2;
      }
    }
    Map<String, String> values;
    if (which.defaults) {
      values = new LinkedHashMap<>();
      Settings.all().values().forEach(s -> values.put(s.key(), s.defaultValue()));
    } else {
      try {
        values = ConfigLoader.load(config, sets).values();
      } catch (ConfigException e) {
        e.problems().forEach(p -> System.err.println("postern config show: configuration error: " + p));
        return 2;
      }
    }
    StringBuilder out = new StringBuilder();
    for (Setting<?> s : Settings.all().values()) {
      if (!keys.isEmpty() && !keys.contains(s.key())) {
        continue;
      }
      String value = values.get(s.key()).strip();
      if (which.changed && !differs(s, value)) {
        continue;
      }
      out.append(s.key()).append(" = ").append(value).append('\n');
    }
    System.out.print(out);
    System.out.flush();
    return 0;
  }

  /** Whether {@code value} means something else than the default: "5m" and "300s" are the same. */
  static boolean differs(Setting<?> s, String value) {
    if (s.defaultValue().strip().equals(value.strip())) {
      return false;
    }
    return !Objects.equals(s.parse(value), s.parseDefault());
  }

  /** The files a configuration push carried, as a running node keeps them in its history. */
  private int showVersion(long version) throws InterruptedException {
    if (which.changed || which.defaults || !sets.isEmpty()) {
      System.err.println("postern config show: VERSION takes none of -n, -d, --set");
      return 2;
    }
    try {
      AdminClient client = AdminOptions.client(admin, dataDir, config);
      JsonObject got = client.post("/config/get", new JsonObject().put("version", version),
          ConfigRoutes.DEADLINE.plusSeconds(30));
      ConfigPush push = ConfigPush.fromJson(got.getJsonObject("bundle"));
      System.out.print(PushListing.of(push));
      System.out.flush();
      return 0;
    } catch (AdminClient.Failure f) {
      System.err.println("postern config show: " + f.getMessage());
      return f.exitCode;
    }
  }

  /** A push's files as text for people; keys are never printed, only their presence. */
  static final class PushListing {
    private PushListing() {}

    static String of(ConfigPush p) {
      StringBuilder out = new StringBuilder();
      out.append("version ").append(p.version()).append(" by key ").append(p.author()).append(" at ")
          .append(Instant.ofEpochMilli(p.issuedAt())).append(p.replace() ? " (replace)" : "").append('\n');
      text(out, "settings", p.settings());
      text(out, "policy.access_map", p.accessMap());
      text(out, "policy.tls_policy_map", p.tlsPolicyMap());
      if (p.tls() != null) {
        for (ConfigPush.Certificate c : p.tls().certificates()) {
          out.append("== tls certificate: ").append(c.name()).append(" (key SHA-256 ").append(c.keySha256())
              .append(", not shown)\n").append(c.chain());
          if (!c.chain().endsWith("\n")) {
            out.append('\n');
          }
        }
        text(out, "tls.ca_file", p.tls().caFile());
        text(out, "tls.crl_file", p.tls().crlFile());
      }
      return out.toString();
    }

    private static void text(StringBuilder out, String what, ConfigPush.Text t) {
      if (t == null) {
        return;
      }
      out.append("== ").append(what).append(": ").append(t.name()).append('\n').append(t.text());
      if (!t.text().isEmpty() && !t.text().endsWith("\n")) {
        out.append('\n');
      }
    }
  }
}
