package org.postern.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.postern.bus.ConfigPush;
import org.postern.node.push.ConfigRoutes;
import org.postern.node.push.OperatorKeys;
import org.postern.node.push.PushSignature;
import org.postern.tls.KeyFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postern config}: operator keys, and signed configuration pushes to every node of a
 * cluster through the local node's admin API (see deploy/README.md, "Configuration pushes"). The
 * bundle is signed here, with a key that never leaves this machine; each node verifies it.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Show the configuration (as postconf does); push signed configuration to every node, list and"
        + " compare versions, roll back; make operator keys; import a Postfix or sendmail configuration.",
    subcommands = {ConfigShow.class, ConfigDiff.class, ConfigCommand.Keygen.class, ConfigCommand.Push.class,
        ConfigCommand.Versions.class, ConfigCommand.Rollback.class, ImportCommand.class})
final class ConfigCommand extends CommandGroup {

  /** A failure to print in one line with its exit status. */
  static final class Stop extends Exception {
    final int exitCode;

    Stop(String message, int exitCode) {
      super(message, null, false, false);
      this.exitCode = exitCode;
    }
  }

  /** The node to go through. */
  static final class Connection {
    @Mixin
    AdminOptions node;

    JsonObject post(String path, JsonObject body) throws AdminClient.Failure, InterruptedException {
      return node.client().post(path, body, ConfigRoutes.DEADLINE.plusSeconds(30));
    }
  }

  /** Runs a subcommand, turning every expected failure into one line and an exit status. */
  abstract static class Base implements Callable<Integer> {
    @Mixin
    Connection connection;

    abstract String name();

    abstract int run() throws Stop, AdminClient.Failure, InterruptedException;

    @Override
    public Integer call() throws InterruptedException {
      try {
        return run();
      } catch (Stop s) {
        System.err.println("postern config " + name() + ": " + s.getMessage());
        return s.exitCode;
      } catch (AdminClient.Failure f) {
        System.err.println("postern config " + name() + ": " + f.getMessage());
        return f.exitCode;
      }
    }

    /** The newest version any node or the history knows, so a new push can be one more. */
    long newestVersion() throws AdminClient.Failure, InterruptedException {
      JsonObject shown = connection.post("/config/show", new JsonObject());
      long newest = 0;
      for (Object o : shown.getJsonArray("results", new JsonArray())) {
        newest = Math.max(newest, ((JsonObject) o).getLong("version", 0L));
      }
      for (Object v : shown.getJsonArray("history", new JsonArray())) {
        newest = Math.max(newest, ((Number) v).longValue());
      }
      return newest;
    }

    /** Signs and sends; prints one line per node (and per problem); 2 when any node refused. */
    int send(ConfigPush unsigned, PrivateKey key) throws AdminClient.Failure, InterruptedException {
      ConfigPush signed = PushSignature.sign(unsigned, key);
      JsonObject answer = connection.post("/config/push", signed.toJson());
      JsonArray results = answer.getJsonArray("results", new JsonArray());
      boolean refused = false;
      for (Object o : results) {
        JsonObject r = (JsonObject) o;
        String node = r.getString("node");
        if ("REFUSED".equals(r.getString("outcome"))) {
          refused = true;
          for (Object p : r.getJsonArray("problems", new JsonArray())) {
            System.out.println(node + ": refused: " + p);
          }
        } else {
          System.out.println(node + ": applied version " + r.getLong("version"));
        }
      }
      System.out.flush();
      int expected = answer.getInteger("expected", results.size());
      if (refused) {
        return 2;
      }
      if (results.size() < expected) {
        System.err.println("postern config " + name() + ": " + results.size() + " of " + expected
            + " nodes answered within " + ConfigRoutes.DEADLINE.toSeconds() + "s");
        return 1;
      }
      return 0;
    }
  }

  /** The operator's key and its id, read from KEY and the NAME.pub beside it. */
  static final class OperatorKey {
    @Option(names = "--key", paramLabel = "KEY", required = true,
        description = "The operator's private key (NAME.key, from config keygen; NAME.pub must be beside it).")
    Path key;

    PrivateKey privateKey;
    String id;

    void load() throws Stop {
      String file = key.getFileName().toString();
      if (!file.endsWith(".key")) {
        throw new Stop("--key: " + key + ": expected the NAME.key file that config keygen wrote", 2);
      }
      Path pub = key.resolveSibling(file.substring(0, file.length() - 4) + ".pub");
      PublicKey publicKey;
      try {
        privateKey = OperatorKeys.readPrivate(key);
        publicKey = OperatorKeys.readPublic(pub);
      } catch (KeyFiles.InsecureKeyFileException e) {
        throw new Stop("--key: " + e.getMessage(), 2);
      } catch (NoSuchFileException e) {
        throw new Stop("--key: " + e.getFile() + ": no such file", 2);
      } catch (IOException e) {
        throw new Stop("--key: " + e.getMessage(), 2);
      }
      id = OperatorKeys.id(publicKey);
      // A mismatched pair would sign pushes every node refuses; say so here instead.
      ConfigPush probe = PushSignature.sign(new ConfigPush(1, id, 0, null, null, null, "", ""), privateKey);
      if (PushSignature.problem(probe, Map.of(id, publicKey)) != null) {
        throw new Stop("--key: " + key + " is not the private half of " + pub, 2);
      }
    }
  }

  @Command(name = "keygen", mixinStandardHelpOptions = true,
      description = "Make an operator signing key pair (Ed25519): NAME.key (0600, in a 0700 directory) and NAME.pub.")
  static final class Keygen implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Directory for the key pair.")
    Path out;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "operator",
        description = "File name stem (default: ${DEFAULT-VALUE}).")
    String name;

    @Override
    public Integer call() {
      if (!name.matches("[A-Za-z0-9._-]{1,64}") || name.startsWith(".")) {
        System.err.println("postern config keygen: --name: expected 1 to 64 of A-Z a-z 0-9 . _ -, got '" + name + "'");
        return 2;
      }
      try {
        PublicKey pub = OperatorKeys.generate(out, name);
        System.out.println("wrote " + out.resolve(name + ".key") + " (mode 0600) and " + out.resolve(name + ".pub")
            + "; key id " + OperatorKeys.id(pub));
        System.out.println("nodes apply pushes signed with it once " + name + ".pub is listed in cluster.operator_keys");
        return 0;
      } catch (IOException e) {
        System.err.println("postern config keygen: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "push", mixinStandardHelpOptions = true,
      description = {"Sign a configuration bundle and send it to every node; one line per node's answer.",
          "Exit 2 if any node refused it, 1 if some node did not answer."})
  static final class Push extends Base {
    @Parameters(paramLabel = "FILE", arity = "0..1",
        description = "Live settings (key = value lines; only the keys config/README.md lists as pushable).")
    Path settings;

    @Option(names = "--policy-access", paramLabel = "FILE", description = "The access map to put in force.")
    Path access;

    @Option(names = "--policy-tls", paramLabel = "FILE", description = "The TLS policy map to put in force.")
    Path tls;

    @Option(names = "--tls-cert", arity = "2", paramLabel = "CHAIN KEY",
        description = {"A server certificate chain (PEM, leaf first) and its unencrypted key, to serve on every"
            + " inbound node; repeat for more (the first is the primary, as tls.cert_chain). The key travels"
            + " inside the signed bundle over the encrypted event bus; see deploy/README.md."})
    List<Path> certificates = new ArrayList<>();

    @Option(names = "--tls-ca-file", paramLabel = "FILE",
        description = "CA certificates (PEM) that client certificates are checked against, as tls.ca_file.")
    Path caFile;

    @Option(names = "--tls-crl-file", paramLabel = "FILE", description = "A PEM CRL for client certificates, as tls.crl_file.")
    Path crlFile;

    @Option(names = "--replace", description = {"Push exactly these files, dropping whatever part of the configuration"
        + " in force the push leaves out. Without it a node refuses a push that leaves out its access map, TLS policy"
        + " map, pushed settings or TLS files, and says what would change."})
    boolean replace;

    @Mixin
    OperatorKey key;

    @Override
    String name() {
      return "push";
    }

    @Override
    int run() throws Stop, AdminClient.Failure, InterruptedException {
      key.load();
      ConfigPush.Text s = text(settings);
      ConfigPush.Text a = text(access);
      ConfigPush.Text t = text(tls);
      ConfigPush.TlsFiles files = tlsFiles();
      long version = newestVersion() + 1;
      ConfigPush unsigned;
      try {
        unsigned = new ConfigPush(version, key.id, Instant.now().toEpochMilli(), s, a, t, files, "", "", replace);
      } catch (IllegalArgumentException e) {
        throw new Stop(e.getMessage(), 2);
      }
      return send(unsigned, key.privateKey);
    }

    /** The certificates, CA file and CRL given, or null for none. */
    private ConfigPush.TlsFiles tlsFiles() throws Stop {
      List<ConfigPush.Certificate> certs = new ArrayList<>();
      for (int i = 0; i + 1 < certificates.size(); i += 2) {
        Path chain = certificates.get(i);
        Path keyFile = certificates.get(i + 1);
        try {
          // The same hygiene as on a node: a key others can read may already be copied.
          KeyFiles.checkPermissions(keyFile);
        } catch (NoSuchFileException e) {
          throw new Stop("--tls-cert: " + keyFile + ": no such file", 2);
        } catch (IOException e) {
          throw new Stop("--tls-cert: " + e.getMessage(), 2);
        }
        ConfigPush.Text c = text(chain);
        ConfigPush.Text k = text(keyFile);
        try {
          certs.add(new ConfigPush.Certificate(c.name(), c.text(), k.text()));
        } catch (IllegalArgumentException e) {
          throw new Stop("--tls-cert: " + e.getMessage(), 2);
        }
      }
      ConfigPush.Text ca = text(caFile);
      ConfigPush.Text crl = text(crlFile);
      if (certs.isEmpty() && ca == null && crl == null) {
        return null;
      }
      try {
        return new ConfigPush.TlsFiles(certs, ca, crl);
      } catch (IllegalArgumentException e) {
        throw new Stop("--tls-cert: " + e.getMessage(), 2);
      }
    }

    private static ConfigPush.Text text(Path file) throws Stop {
      if (file == null) {
        return null;
      }
      try {
        return new ConfigPush.Text(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
      } catch (NoSuchFileException e) {
        throw new Stop(file + ": no such file", 2);
      } catch (MalformedInputException e) {
        throw new Stop(file + ": not UTF-8 text", 2);
      } catch (IOException e) {
        throw new Stop(file + ": cannot read: " + e.getMessage(), 2);
      } catch (IllegalArgumentException e) {
        throw new Stop(file + ": " + e.getMessage(), 2);
      }
    }
  }

  @Command(name = "versions", mixinStandardHelpOptions = true,
      description = "Show the configuration version in force on every node, and the versions the cluster keeps.")
  static final class Versions extends Base {
    @Override
    String name() {
      return "versions";
    }

    @Override
    int run() throws AdminClient.Failure, InterruptedException {
      JsonObject shown = connection.post("/config/show", new JsonObject());
      JsonArray results = shown.getJsonArray("results", new JsonArray());
      for (Object o : results) {
        JsonObject r = (JsonObject) o;
        long version = r.getLong("version");
        System.out.println(r.getString("node") + ": " + (version == 0 ? "version 0 (its own files; no push applied)"
            : "version " + version + " by key " + r.getString("author") + " at "
                + Instant.ofEpochMilli(r.getLong("issuedAt"))));
      }
      System.out.println("history: " + (shown.getJsonArray("history", new JsonArray()).isEmpty() ? "(empty)"
          : shown.getJsonArray("history").stream().map(String::valueOf)
              .collect(java.util.stream.Collectors.joining(" "))));
      int expected = shown.getInteger("expected", results.size());
      if (results.size() < expected) {
        System.err.println("postern config versions: " + results.size() + " of " + expected + " nodes answered");
        return 1;
      }
      return 0;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Push the files of an earlier VERSION again, as a new version signed with --key; they replace whatever is in force.")
  static final class Rollback extends Base {
    @Parameters(paramLabel = "VERSION", description = "A version that config versions lists in the history.")
    long version;

    @Mixin
    OperatorKey key;

    @Override
    String name() {
      return "rollback";
    }

    @Override
    int run() throws Stop, AdminClient.Failure, InterruptedException {
      if (version < 1) {
        throw new Stop("VERSION must be at least 1", 2);
      }
      key.load();
      JsonObject got;
      try {
        got = connection.post("/config/get", new JsonObject().put("version", version));
      } catch (AdminClient.Failure f) {
        throw new Stop(f.getMessage(), 2);
      }
      ConfigPush old = ConfigPush.fromJson(got.getJsonObject("bundle"));
      long next = newestVersion() + 1;
      System.out.println("rolling back to the files of version " + version + " as version " + next);
      return send(old.reissue(next, key.id, Instant.now().toEpochMilli()), key.privateKey);
    }
  }
}
