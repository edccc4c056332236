package org.postern.smtp;

import java.util.regex.Pattern;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one command line (without its CRLF) into a {@link Command}.
 *
 * <p>The parser is strict where leniency has bitten MTAs (no bare CR or LF, no NUL, no non-ASCII
 * without SMTPUTF8) and lenient where real clients differ harmlessly (a space after
 * {@code MAIL FROM:}, lower-case verbs).
 */
public final class CommandParser {

  private static final Pattern MECHANISM = Pattern.compile("[A-Za-z0-9_-]{1,20}");
  private static final Pattern CHUNK_SIZE = Pattern.compile("\\d{1,18}");
  static final Reply SYNTAX_BAD_CHAR = Reply.of(500, "5.5.2", "Error: invalid characters in command");
  static final Reply SYNTAX_SENDER = Reply.of(501, "5.1.7", "Bad sender address syntax");
  static final Reply SYNTAX_RECIPIENT = Reply.of(501, "5.1.3", "Bad recipient address syntax");

  private CommandParser() {}

  /**
   * Parses a command line decoded as UTF-8 (a line that is not valid UTF-8 must be passed with
   * U+FFFD in place of the bad bytes, which is refused here). Non-ASCII is accepted only inside the
   * angle brackets of MAIL and RCPT; whether the transaction allows it (SMTPUTF8) is the session's
   * decision.
   */
  public static Command parse(String line) {
    int pathStart = -1;
    int pathEnd = -1;
    String upper = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : "";
    if (upper.equals("MAIL") || upper.equals("RCPT")) {
      pathStart = line.indexOf('<');
      pathEnd = line.indexOf('>', Math.max(pathStart, 0));
    }
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      boolean inPath = i > pathStart && i < pathEnd;
      if (c == 0 || c == '\r' || c == '\n' || c == '\ufffd' || c == 0x7f || (c < 0x20 && c != '\t')
          || (c > 0x7e && !inPath)) {
        return new Command.Invalid(verbOf(line), SYNTAX_BAD_CHAR);
      }
    }
    int sp = line.indexOf(' ');
    String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
    String arg = sp < 0 ? "" : line.substring(sp + 1).strip();
    switch (verb) {
      case "EHLO":
      case "HELO":
        if (arg.isEmpty() || arg.contains(" ")) {
          return new Command.Invalid(verb, Reply.of(501, "5.5.4", "Syntax: " + verb + " hostname"));
        }
        return verb.equals("EHLO") ? new Command.Ehlo(arg) : new Command.Helo(arg);
      case "MAIL":
        return parsePathCommand(verb, arg, "FROM:", SYNTAX_SENDER);
      case "RCPT":
        return parsePathCommand(verb, arg, "TO:", SYNTAX_RECIPIENT);
      case "DATA":
        return arg.isEmpty() ? new Command.Data() : noArguments(verb);
      case "RSET":
        return arg.isEmpty() ? new Command.Rset() : noArguments(verb);
      case "QUIT":
        return arg.isEmpty() ? new Command.Quit() : noArguments(verb);
      case "NOOP":
        return new Command.Noop(); // RFC 5321 §4.1.1.9: a NOOP argument is ignored
      case "HELP":
        return new Command.Help();
      case "VRFY":
        return arg.isEmpty()
            ? new Command.Invalid(verb, Reply.of(501, "5.5.4", "Syntax: VRFY address"))
            : new Command.Vrfy(arg);
      case "STARTTLS":
        return new Command.StartTls(!arg.isEmpty());
      case "AUTH":
        return parseAuth(arg);
      case "BDAT":
        return parseBdat(arg);
      case "XCLIENT":
        return new Command.Xclient(arg.isEmpty() ? java.util.List.of() : java.util.List.of(arg.split(" +")));
      default:
        return new Command.Unknown(verb);
    }
  }

  private static Command parseAuth(String arg) {
    String[] parts = arg.split(" ");
    if (arg.isEmpty() || parts.length > 2 || !MECHANISM.matcher(parts[0]).matches()) {
      return new Command.Invalid("AUTH", Reply.of(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"));
    }
    return new Command.Auth(parts[0].toUpperCase(Locale.ROOT), parts.length == 2 ? parts[1] : null);
  }

  private static Command parseBdat(String arg) {
    String[] parts = arg.split(" ");
    boolean last = parts.length == 2 && parts[1].equalsIgnoreCase("LAST");
    if (arg.isEmpty() || parts.length > 2 || (parts.length == 2 && !last)
        || !CHUNK_SIZE.matcher(parts[0]).matches()) {
      return new Command.Invalid("BDAT", Reply.of(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]"));
    }
    return new Command.Bdat(Long.parseLong(parts[0]), last);
  }

  private static Command noArguments(String verb) {
    return new Command.Invalid(verb, Reply.of(501, "5.5.4", "Syntax: " + verb));
  }

  private static Command parsePathCommand(String verb, String arg, String keyword, Reply syntaxError) {
    if (!arg.regionMatches(true, 0, keyword, 0, keyword.length())) {
      return new Command.Invalid(verb, Reply.of(501, "5.5.4", "Syntax: " + verb + " " + keyword + "<address>"));
    }
    String rest = arg.substring(keyword.length()).stripLeading();
    if (!rest.startsWith("<")) {
      return new Command.Invalid(verb, syntaxError);
    }
    int close = closingBracket(rest);
    if (close < 0) {
      return new Command.Invalid(verb, syntaxError);
    }
    String inner = stripSourceRoute(rest.substring(1, close));
    Path path;
    try {
      path = Path.parseMailbox(inner);
    } catch (IllegalArgumentException e) {
      return new Command.Invalid(verb, syntaxError);
    }
    if (verb.equals("RCPT") && path.isNull() || verb.equals("MAIL") && path.isBarePostmaster()) {
      return new Command.Invalid(verb, syntaxError);
    }
    String paramText = rest.substring(close + 1);
    if (!paramText.isEmpty() && !paramText.startsWith(" ")) {
      return new Command.Invalid(verb, syntaxError);
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (String p : paramText.strip().split(" +")) {
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      String key = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
      String value = eq < 0 ? "" : p.substring(eq + 1);
      // An identical repeat is harmless and some clients send one (Python's smtplib repeats
      // SMTPUTF8); a repeat with another value is ambiguous and refused.
      if (key.isEmpty() || !key.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-')
          || params.containsKey(key) && !params.get(key).equals(value)) {
        return new Command.Invalid(verb, Reply.of(501, "5.5.4", "Bad parameter syntax: " + p));
      }
      params.put(key, value);
    }
    return verb.equals("MAIL") ? new Command.Mail(path, params) : new Command.Rcpt(path, params);
  }

  /** Index of the {@code >} closing the path, honouring quoted local parts. */
  private static int closingBracket(String s) {
    boolean quoted = false;
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && quoted) {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '>' && !quoted) {
        return i;
      }
    }
    return -1;
  }

  /** RFC 5321 §4.1.2 says source routes must be accepted and ignored: {@code @a,@b:user@c}. */
  private static String stripSourceRoute(String inner) {
    if (inner.startsWith("@")) {
      int colon = inner.indexOf(':');
      return colon < 0 ? inner : inner.substring(colon + 1);
    }
    return inner;
  }

  private static String verbOf(String line) {
    int sp = line.indexOf(' ');
    String v = sp < 0 ? line : line.substring(0, sp);
    StringBuilder clean = new StringBuilder();
    for (char c : v.toCharArray()) {
      if (c >= 'A' && c <= 'z') {
        clean.append(Character.toUpperCase(c));
      }
    }
    return clean.toString();
  }
}
