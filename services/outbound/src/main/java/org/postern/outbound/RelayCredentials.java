package org.postern.outbound;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.postern.tls.KeyFiles;

/**
 * Relayhost AUTH credentials (outbound.relay_credentials), like Postfix's smtp_sasl_password_maps:
 * one {@code nexthop user:password} per line, where nexthop is written as in the transport table
 * ({@code [relay.example]:587} or {@code relay.example}); {@code #} starts a comment. The file
 * holds passwords, so it must not be readable by group or others.
 */
public final class RelayCredentials {

  /** One login. */
  record Login(String user, String password) {
    @Override
    public String toString() {
      // Never let a password reach a log line by accident.
      return "Login[" + user + "]";
    }
  }

  private final Map<String, Login> byNextHop;

  private RelayCredentials(Map<String, Login> byNextHop) {
    this.byNextHop = Map.copyOf(byNextHop);
  }

  static RelayCredentials none() {
    return new RelayCredentials(Map.of());
  }

  /**
   * Reads {@code file} (blocking). Errors name the file and line.
   *
   * @throws IllegalStateException for a missing, unreadable, exposed or malformed file, naming it
   *     (and the line)
   */
  public static RelayCredentials load(String file) {
    if (file.isEmpty()) {
      return none();
    }
    Path path = Path.of(file);
    List<String> lines;
    try {
      KeyFiles.checkPermissions(path);
      lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("outbound.relay_credentials: " + file + ": " + e.getMessage(), e);
    }
    Map<String, Login> logins = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      int colon = parts.length == 2 ? parts[1].indexOf(':') : -1;
      if (colon <= 0) {
        throw new IllegalStateException("outbound.relay_credentials: " + file + ":" + (i + 1)
            + ": expected 'nexthop user:password'");
      }
      logins.put(parts[0].toLowerCase(Locale.ROOT),
          new Login(parts[1].substring(0, colon), parts[1].substring(colon + 1)));
    }
    return new RelayCredentials(logins);
  }

  /** The login for a next hop: {@code [host]:port} first, then {@code host}. */
  Optional<Login> forHop(String host, int port) {
    String h = host.toLowerCase(Locale.ROOT);
    Login l = byNextHop.get("[" + h + "]:" + port);
    if (l == null) {
      l = byNextHop.get(h);
    }
    return Optional.ofNullable(l);
  }
}
