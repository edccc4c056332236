package org.postern.inbound;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.postern.tls.KeyFiles;

/**
 * The AUTH credentials file: {@code user:hash} lines with bcrypt hashes ({@code $2a$}, {@code $2b$},
 * {@code $2y$}), {@code #} comments. No plaintext password is ever stored. The file is refused if
 * group or others can read it, like a private key.
 *
 * <p>{@link #verify} is slow on purpose (bcrypt): call it from a worker thread, never an event loop.
 */
public final class AuthUsers {

  /**
   * Verified against when the user is unknown, so that the time taken does not reveal which users
   * exist. Its password is not known to anyone: it is random at start.
   */
  private static final byte[] DUMMY = BCrypt.withDefaults().hash(10,
      java.util.UUID.randomUUID().toString().toCharArray());

  private final Map<String, byte[]> hashes;

  private AuthUsers(Map<String, byte[]> hashes) {
    this.hashes = Map.copyOf(hashes);
  }

  /** Loads the file; errors name the file and line. Blocking. */
  public static AuthUsers load(Path file) throws IOException {
    KeyFiles.checkPermissions(file);
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Map<String, byte[]> hashes = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      String hash = colon < 0 ? "" : line.substring(colon + 1);
      if (colon <= 0 || !hash.matches("\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}")) {
        throw new IOException(file + ":" + (i + 1) + ": expected 'user:bcrypt-hash'");
      }
      if (hashes.put(line.substring(0, colon), hash.getBytes(StandardCharsets.US_ASCII)) != null) {
        throw new IOException(file + ":" + (i + 1) + ": user '" + line.substring(0, colon) + "' appears twice");
      }
    }
    return new AuthUsers(hashes);
  }

  int size() {
    return hashes.size();
  }

  /** Whether {@code password} is the user's. Blocking (bcrypt). */
  boolean verify(String user, String password) {
    byte[] hash = hashes.get(user);
    boolean ok = BCrypt.verifyer().verify(password.toCharArray(), hash == null ? DUMMY : hash).verified;
    return ok && hash != null;
  }
}
