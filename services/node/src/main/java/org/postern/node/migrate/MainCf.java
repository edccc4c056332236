package org.postern.node.migrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Postfix {@code main.cf}, or the output of {@code postconf -n}, which has the same syntax: a
 * logical line {@code name = value} starts at column 0, a line starting with white space continues
 * it, a line whose first non-blank character is {@code #} is a comment. A later line for the same
 * name wins, as in Postfix.
 */
public final class MainCf {

  /** One parameter, with the line where it starts. */
  public record Entry(String name, String value, int line) {}

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]+");
  private static final Pattern REFERENCE = Pattern.compile("\\$(?:\\{([A-Za-z0-9_]+)\\}|\\(([A-Za-z0-9_]+)\\)|([A-Za-z0-9_]+))");

  private final String file;
  private final Map<String, Entry> entries;
  private final List<String> notes;

  private MainCf(String file, Map<String, Entry> entries, List<String> notes) {
    this.file = file;
    this.entries = entries;
    this.notes = notes;
  }

  /** @throws InputException naming {@code file:line} for the first line that is not a parameter */
  public static MainCf parse(String file, String text) throws InputException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    List<String> notes = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    String name = null;
    StringBuilder value = null;
    int start = 0;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      if (Character.isWhitespace(line.charAt(0))) {
        if (name == null) {
          throw new InputException(file + ":" + (i + 1), "continuation line without a parameter before it");
        }
        value.append(' ').append(trimmed);
        continue;
      }
      if (name != null) {
        put(entries, notes, file, new Entry(name, value.toString(), start));
        name = null;
      }
      if (trimmed.startsWith("postconf: ")) {
        // postconf -n's own warnings, when its output was saved with 2>&1.
        notes.add(file + ":" + (i + 1) + ": skipped postconf's message: " + trimmed);
        continue;
      }
      int eq = line.indexOf('=');
      String n = eq < 0 ? "" : line.substring(0, eq).strip();
      if (!NAME.matcher(n).matches()) {
        throw new InputException(file + ":" + (i + 1), "expected 'name = value', got '" + trimmed + "'");
      }
      name = n;
      value = new StringBuilder(line.substring(eq + 1).strip());
      start = i + 1;
    }
    if (name != null) {
      put(entries, notes, file, new Entry(name, value.toString(), start));
    }
    return new MainCf(file, entries, notes);
  }

  private static void put(Map<String, Entry> entries, List<String> notes, String file, Entry e) {
    Entry before = entries.remove(e.name());
    if (before != null) {
      notes.add(file + ":" + e.line() + ": " + e.name() + " repeats line " + before.line() + "; the later one is used, as in Postfix");
    }
    entries.put(e.name(), e);
  }

  public String file() {
    return file;
  }

  /** Parameters in file order (a repeated one at its last place). */
  public List<Entry> entries() {
    return List.copyOf(entries.values());
  }

  public Entry get(String name) {
    return entries.get(name);
  }

  public List<String> notes() {
    return notes;
  }

  public String where(Entry e) {
    return file + ":" + e.line();
  }

  /**
   * The value with {@code $name}, {@code ${name}} and {@code $(name)} replaced by the file's own
   * parameters (and {@code mydomain} derived from {@code myhostname}, as Postfix does).
   *
   * @throws IllegalArgumentException naming a parameter the file does not set
   */
  public String expand(String value) {
    return expand(value, 0);
  }

  private String expand(String value, int depth) {
    if (depth > 10) {
      throw new IllegalArgumentException("parameters refer to each other in a loop");
    }
    Matcher m = REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String ref = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
      String replacement = lookup(ref);
      if (replacement == null) {
        throw new IllegalArgumentException("refers to $" + ref + ", which the file does not set");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(expand(replacement, depth + 1)));
    }
    m.appendTail(out);
    return out.toString();
  }

  private String lookup(String ref) {
    Entry e = entries.get(ref);
    if (e != null) {
      return e.value();
    }
    if (ref.equals("mydomain") && entries.containsKey("myhostname")) {
      String host = entries.get("myhostname").value();
      int dot = host.indexOf('.');
      return dot < 0 ? null : host.substring(dot + 1);
    }
    if (ref.equals("myorigin") && entries.containsKey("myhostname")) {
      return "$myhostname";
    }
    return null;
  }

  /** Postfix's list syntax: commas and/or white space between items. */
  public static List<String> list(String value) {
    List<String> out = new ArrayList<>();
    for (String s : value.split("[,\\s]+")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }
}
