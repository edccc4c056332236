package org.postern.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * The line structure both map languages share: {@code key value} per line, {@code #} starts a
 * comment, blank lines are ignored. Each problem becomes {@code file:line: reason}.
 */
final class MapLines {

  /** One entry: where it is, its key, its value (comment removed, whitespace trimmed). */
  record Line(String where, String key, String value, String text) {}

  /** Handles one entry; throws IllegalArgumentException with the reason when it is wrong. */
  interface Handler {
    void entry(Line line);
  }

  private MapLines() {}

  /** Feeds every entry to {@code handler}, collecting problems instead of stopping at the first. */
  static List<String> read(String name, String text, Handler handler) {
    List<String> problems = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      String content = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (content.isEmpty()) {
        continue;
      }
      String where = name + ":" + (i + 1);
      String[] kv = content.split("\\s+", 2);
      if (kv.length != 2) {
        problems.add(where + ": expected 'key value', got '" + content + "'");
        continue;
      }
      try {
        handler.entry(new Line(where, kv[0], kv[1].strip(), kv[0] + " " + kv[1].strip()));
      } catch (IllegalArgumentException e) {
        problems.add(where + ": " + e.getMessage());
      }
    }
    return problems;
  }
}
