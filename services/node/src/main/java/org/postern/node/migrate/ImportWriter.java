package org.postern.node.migrate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a conversion: {@code postern.conf} (each setting under a comment naming its source line),
 * the policy files, and {@code import-report.txt} (every parameter left behind, and why). Nothing
 * is written when any of them exists, unless forced.
 */
public final class ImportWriter {

  public static final String CONF = "postern.conf";
  public static final String REPORT = "import-report.txt";

  private ImportWriter() {}

  /** The files {@link #write} would create, in {@code outDir}. */
  public static List<Path> targets(ImportResult r, Path outDir) {
    List<Path> out = new ArrayList<>();
    out.add(outDir.resolve(CONF));
    r.files().keySet().forEach(f -> out.add(outDir.resolve(f)));
    out.add(outDir.resolve(REPORT));
    return out;
  }

  public static void write(ImportResult r, Path outDir, String source) throws IOException {
    Files.createDirectories(outDir);
    Files.writeString(outDir.resolve(CONF), conf(r, source), StandardCharsets.UTF_8);
    for (Map.Entry<String, String> f : r.files().entrySet()) {
      Path p = outDir.resolve(f.getKey());
      if (r.isSecret(f.getKey())) {
        // Created 0600 (not chmod-ed after), so the secrets are never readable by others.
        Files.deleteIfExists(p);
        Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
    }
    Files.writeString(outDir.resolve(REPORT), report(r, source), StandardCharsets.UTF_8);
  }

  static String conf(ImportResult r, String source) {
    StringBuilder b = new StringBuilder();
    b.append("# Written by 'postern config import' from ").append(source).append(".\n");
    b.append("# Settings not listed keep Postern's defaults (config/README.md). What could not be carried\n");
    b.append("# over, and why, is in ").append(REPORT).append(".\n");
    for (Map.Entry<String, ImportResult.Value> e : r.settings().entrySet()) {
      b.append("\n# from ").append(e.getValue().origin()).append('\n');
      b.append(e.getKey()).append(" = ").append(e.getValue().value()).append('\n');
    }
    return b.toString();
  }

  static String report(ImportResult r, String source) {
    StringBuilder b = new StringBuilder();
    b.append("postern config import: ").append(source).append('\n');
    b.append("\nNot carried over (Postern has no equivalent; act on these by hand):\n");
    r.dropped().stream().filter(ImportResult.Dropped::needed).forEach(d -> b.append("  ").append(d.line()).append('\n'));
    b.append("\nNot needed (Postern does this itself, or has no use for it):\n");
    r.dropped().stream().filter(d -> !d.needed()).forEach(d -> b.append("  ").append(d.line()).append('\n'));
    if (!r.notes().isEmpty()) {
      b.append("\nNotes:\n");
      r.notes().forEach(n -> b.append("  ").append(n).append('\n'));
    }
    return b.toString();
  }
}
