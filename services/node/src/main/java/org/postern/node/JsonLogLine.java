package org.postern.node;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code node.log_format = json}: the text line's fields as one JSON object per line. Besides
 * time, host, program, pid, level and the message as written, a line about a message or a session
 * gives its id ({@code id}), and a line of Postfix's {@code key=value, key=value} fields
 * ({@code to=, relay=, delay=, delays=, dsn=, status=}, {@code client=}, {@code STARTTLS=}) gives
 * them as members, so a log shipper needs no parser of its own. A status's reply in parentheses
 * stays with the status.
 */
final class JsonLogLine {

  private static final Pattern ID = Pattern.compile("^([0-9A-F]{16}): (.*)$", Pattern.DOTALL);
  private static final Pattern FIELD = Pattern.compile("^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$", Pattern.DOTALL);

  private JsonLogLine() {}

  static String format(String time, String host, String program, long pid, String level, String message) {
    JsonObject o = new JsonObject().put("time", time).put("host", host).put("program", program).put("pid", pid)
        .put("level", level);
    String rest = message;
    Matcher id = ID.matcher(message);
    if (id.matches()) {
      o.put("id", id.group(1));
      rest = id.group(2);
    }
    JsonObject fields = fields(rest);
    if (fields != null) {
      o.put("fields", fields);
    }
    return o.put("message", message).encode();
  }

  /** The {@code key=value} members of a comma-separated list, or null when it is not one. */
  static JsonObject fields(String text) {
    List<String> parts = split(text);
    if (parts.size() < 2) {
      return null;
    }
    JsonObject out = new JsonObject();
    for (String p : parts) {
      Matcher m = FIELD.matcher(p);
      if (!m.matches()) {
        return null;
      }
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  /** Splits at ", " outside parentheses and angle brackets: a reply text or an address may hold one. */
  private static List<String> split(String text) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(' || c == '<') {
        depth++;
      } else if ((c == ')' || c == '>') && depth > 0) {
        depth--;
      } else if (c == ',' && depth == 0 && i + 1 < text.length() && text.charAt(i + 1) == ' ') {
        parts.add(text.substring(start, i));
        start = i + 2;
        i++;
      }
    }
    parts.add(text.substring(start));
    return parts;
  }
}
