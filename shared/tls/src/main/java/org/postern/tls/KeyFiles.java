package org.postern.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Private keys on disk: written mode 0600 inside a 0700 directory, unencrypted (the seeds'
 * {@code -nodes} lesson: a daemon cannot type a passphrase), and refused at load when group or
 * others can read them, as sendmail and OpenSMTPD refuse them.
 */
public final class KeyFiles {

  private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

  private KeyFiles() {}

  /** Creates {@code dir} (and parents) if missing, and makes it 0700. */
  public static void ensurePrivateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
  }

  /**
   * Writes a key file that is 0600 from its first byte: it is created with that mode, so there is
   * no moment at which another user could open it.
   */
  public static void writePrivate(Path file, byte[] content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
    Files.write(tmp, content, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Refuses a key file that group or others may read or write.
   *
   * @throws InsecureKeyFileException naming the file and the chmod that fixes it
   */
  public static void checkPermissions(Path file) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    for (PosixFilePermission p : perms) {
      if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE
          && p != PosixFilePermission.OWNER_EXECUTE) {
        throw new InsecureKeyFileException(file, PosixFilePermissions.toString(perms));
      }
    }
  }

  /** A private key file with permissions that expose it. */
  public static final class InsecureKeyFileException extends IOException {
    public InsecureKeyFileException(Path file, String perms) {
      super("private key " + file + " is accessible by group or others (" + perms + "); fix with: chmod 600 " + file,
          null);
    }
  }
}
