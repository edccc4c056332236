package org.postern.node.migrate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.postern.policy.PolicyFile;
import org.postern.policy.PolicyFileException;
import org.postern.policy.PolicyModel;

/**
 * A Postfix {@code smtp_tls_policy_maps} text table to Postern's TLS policy map, which has the same
 * syntax for what both know: {@code destination level [match=...]}. Each line is checked by the
 * policy compiler itself; a line it refuses, and attributes Postern has no use for, are reported.
 */
final class TlsPolicyTable {

  private TlsPolicyTable() {}

  /** Appends the lines Postern accepts to {@code out}; returns how many. */
  static int convert(Path source, String text, StringBuilder out, ImportResult result) {
    String[] lines = text.split("\r?\n", -1);
    int carried = 0;
    List<String[]> logical = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank() || line.strip().startsWith("#")) {
        continue;
      }
      if (Character.isWhitespace(line.charAt(0)) && !logical.isEmpty()) {
        String[] last = logical.get(logical.size() - 1);
        last[1] = last[1] + " " + line.strip();
      } else {
        logical.add(new String[] {String.valueOf(i + 1), line.strip()});
      }
    }
    for (String[] l : logical) {
      String where = source + ":" + l[0];
      String[] words = l[1].split("\\s+");
      if (words.length < 2) {
        result.drop(where, words[0], "no security level", true);
        continue;
      }
      String level = words[1];
      StringBuilder line = new StringBuilder(words[0]).append(' ').append(level);
      for (int w = 2; w < words.length; w++) {
        if (words[w].startsWith("match=")) {
          line.append(' ').append(words[w]);
        } else {
          result.drop(where, words[0] + " " + words[w], attributeReason(words[w]), !isHarmless(words[w]));
        }
      }
      try {
        // Blank lines first, so that the compiler's file:line is the table's own.
        PolicyModel.compile(List.of(new PolicyFile(PolicyFile.Kind.TLS_POLICY_MAP, source.toString(),
            "\n".repeat(Integer.parseInt(l[0]) - 1) + line)));
      } catch (PolicyFileException e) {
        result.drop(where, words[0], String.join("; ", e.problems().stream()
            .map(p -> p.startsWith(where + ": ") ? p.substring(where.length() + 2) : p).toList()), true);
        continue;
      }
      out.append("# ").append(where).append('\n').append(line).append('\n');
      carried++;
    }
    return carried;
  }

  private static final Set<String> HARMLESS = Set.of("protocols", "ciphers", "exclude");

  private static boolean isHarmless(String attribute) {
    return HARMLESS.contains(attribute.split("=", 2)[0]);
  }

  private static String attributeReason(String attribute) {
    String name = attribute.split("=", 2)[0];
    return switch (name) {
      case "protocols" -> "Postern's TLS is TLSv1.2 or later at every level";
      case "ciphers", "exclude" -> "Postern's outbound ciphers are the TLS library's modern defaults at every level";
      default -> "Postern's TLS policy map takes match= only";
    };
  }
}
