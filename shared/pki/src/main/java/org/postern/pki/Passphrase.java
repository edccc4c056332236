package org.postern.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The passphrase that protects the CA key, and where it came from. It is read from a file (mode
 * 0600, like a key) or from an environment variable, never from the command line, where {@code ps}
 * and the shell history would show it. Only its source is ever printed, never its text.
 *
 * <p>A file's first line is the passphrase, as for {@code openssl -passin file:}, so the same file
 * opens the key in both tools.
 */
public final class Passphrase {

  /** Shorter than this protects nothing against an offline guess; openssl itself wants at least 4. */
  static final int MIN_NEW = 8;
  private static final int MAX_FILE = 4096;
  private static final Set<PosixFilePermission> OWNER_ONLY = Set.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

  private final char[] text;
  private final String source;

  private Passphrase(char[] text, String source) {
    this.text = text;
    this.source = source;
  }

  /**
   * Reads the first line of {@code file}, refusing a file that group or others can read.
   *
   * @throws PkiException naming the file and what is wrong (missing, exposed, empty, not UTF-8)
   */
  public static Passphrase fromFile(Path file) throws PkiException {
    String source = "--passphrase-file " + file;
    byte[] bytes;
    try {
      if (Files.isDirectory(file)) {
        throw new PkiException(source + ": is a directory, not a file");
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (!OWNER_ONLY.containsAll(perms)) {
        throw new PkiException(source + ": the passphrase file is accessible by group or others ("
            + PosixFilePermissions.toString(perms) + "); fix with: chmod 600 " + file);
      }
      if (Files.size(file) > MAX_FILE) {
        throw new PkiException(source + ": longer than " + MAX_FILE + " bytes; is this the right file?");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new PkiException(source + ": no such file");
    } catch (IOException e) {
      throw new PkiException(source + ": cannot read: " + Pem.oneLine(e));
    }
    try {
      char[] all = decode(bytes, source);
      int end = 0;
      while (end < all.length && all[end] != '\n' && all[end] != '\r') {
        end++;
      }
      char[] line = Arrays.copyOf(all, end);
      Arrays.fill(all, '\0');
      return nonEmpty(line, source);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /**
   * The value of the environment variable {@code name} in {@code env}.
   *
   * @throws PkiException when it is unset or empty
   */
  public static Passphrase fromEnvironment(String name, Map<String, String> env) throws PkiException {
    String source = "--passphrase-env " + name;
    String value = env.get(name);
    if (value == null) {
      throw new PkiException(source + ": the environment variable " + name + " is not set");
    }
    return nonEmpty(value.toCharArray(), source);
  }

  private static Passphrase nonEmpty(char[] text, String source) throws PkiException {
    if (text.length == 0) {
      throw new PkiException(source + ": the passphrase is empty");
    }
    return new Passphrase(text, source);
  }

  private static char[] decode(byte[] bytes, String source) throws PkiException {
    try {
      CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
      char[] out = new char[cb.remaining()];
      cb.get(out);
      Arrays.fill(cb.array(), '\0');
      return out;
    } catch (CharacterCodingException e) {
      throw new PkiException(source + ": the passphrase is not UTF-8 text");
    }
  }

  /** Refuses a passphrase too short to protect a new key. */
  void checkStrongEnoughForANewKey() throws PkiException {
    if (text.length < MIN_NEW) {
      throw new PkiException(source + ": the passphrase has " + text.length + " characters; use at least " + MIN_NEW);
    }
  }

  /** The passphrase itself; callers must not keep or print it. */
  char[] chars() {
    return text.clone();
  }

  /** Where it came from, e.g. {@code --passphrase-file /root/ca.pass}: safe to print. */
  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return source; // never the passphrase, whatever prints this
  }
}
