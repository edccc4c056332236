package org.postern.node.migrate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The m4 calls of a sendmail {@code .mc} file, one per line, as the operator's file has them:
 * {@code define(`confCACERT', `CERT_DIR/CAcert.pem')dnl}. Quotes are m4's (`...'); {@code dnl}
 * ends a line; macros the file defines itself (such as {@code CERT_DIR}) and
 * {@code MAIL_SETTINGS_DIR} are expanded in values. Everything after {@code LOCAL_RULESETS} or
 * {@code LOCAL_CONFIG} is raw sendmail.cf text, kept apart as such.
 */
final class SendmailMc {

  /** One call: {@code name(args)} at {@code line}. */
  record Call(String name, List<String> args, int line) {}

  final String file;
  final List<Call> calls = new ArrayList<>();
  /** Raw sendmail.cf lines after LOCAL_RULESETS/LOCAL_CONFIG, with their line numbers. */
  final List<Call> local = new ArrayList<>();
  private final Map<String, String> macros = new HashMap<>();

  private SendmailMc(String file) {
    this.file = file;
    macros.put("MAIL_SETTINGS_DIR", "/etc/mail/");
  }

  static SendmailMc parse(String file, String text) throws InputException {
    SendmailMc mc = new SendmailMc(file);
    String[] lines = text.split("\r?\n", -1);
    boolean raw = false;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String t = line.strip();
      if (raw) {
        if (!t.isEmpty() && !t.startsWith("#") && !t.startsWith("dnl")) {
          mc.local.add(new Call(t, List.of(), i + 1));
        }
        continue;
      }
      int dnl = t.indexOf("dnl");
      if (dnl >= 0 && (dnl + 3 == t.length() || !Character.isLetterOrDigit(t.charAt(dnl + 3)))
          && (dnl == 0 || !Character.isLetterOrDigit(t.charAt(dnl - 1)) && t.charAt(dnl - 1) != '_')) {
        t = t.substring(0, dnl).strip();
      }
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      if (t.equals("LOCAL_RULESETS") || t.equals("LOCAL_CONFIG") || t.matches("LOCAL_RULE_\\d")) {
        mc.calls.add(new Call(t, List.of(), i + 1));
        raw = true;
        continue;
      }
      int open = t.indexOf('(');
      if (open < 0) {
        if (t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          mc.calls.add(new Call(t, List.of(), i + 1));
          continue;
        }
        throw new InputException(file + ":" + (i + 1), "expected an m4 call such as define(`name', `value'), got '" + t + "'");
      }
      if (!t.endsWith(")")) {
        throw new InputException(file + ":" + (i + 1), "unbalanced parentheses or quotes in '" + t + "'");
      }
      String name = t.substring(0, open).strip();
      List<String> args = split(t.substring(open + 1, t.length() - 1), file + ":" + (i + 1));
      if (name.equals("define") && !args.isEmpty()) {
        mc.macros.put(args.get(0), args.size() > 1 ? args.get(1) : "");
      }
      mc.calls.add(new Call(name, args, i + 1));
    }
    return mc;
  }

  /** Arguments split at commas outside quotes and parentheses; one level of quotes removed. */
  private static List<String> split(String s, String where) throws InputException {
    List<String> out = new ArrayList<>();
    int quote = 0;
    int paren = 0;
    StringBuilder cur = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '`') {
        quote++;
      } else if (c == '\'' && quote > 0) {
        quote--;
      } else if (quote == 0 && c == '(') {
        paren++;
      } else if (quote == 0 && c == ')') {
        paren--;
      } else if (quote == 0 && paren == 0 && c == ',') {
        out.add(unquote(cur.toString().strip()));
        cur.setLength(0);
        continue;
      }
      cur.append(c);
    }
    if (quote != 0 || paren != 0) {
      throw new InputException(where, "unbalanced quotes (` and ') or parentheses");
    }
    if (!cur.toString().isBlank() || !out.isEmpty()) {
      out.add(unquote(cur.toString().strip()));
    }
    return out;
  }

  private static String unquote(String s) {
    return s.startsWith("`") && s.endsWith("'") ? s.substring(1, s.length() - 1) : s;
  }

  /** A value with the file's own macros expanded and m4's remaining quotes removed. */
  String expand(String value) {
    return expand(value, 0);
  }

  private String expand(String value, int depth) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < value.length()) {
      char c = value.charAt(i);
      if (Character.isLetter(c) || c == '_') {
        int j = i;
        while (j < value.length() && (Character.isLetterOrDigit(value.charAt(j)) || value.charAt(j) == '_')) {
          j++;
        }
        String word = value.substring(i, j);
        String m = macros.get(word);
        out.append(m != null && depth < 10 ? expand(m, depth + 1) : word);
        i = j;
      } else {
        if (c != '`' && c != '\'') {
          out.append(c);
        }
        i++;
      }
    }
    return out.toString();
  }
}
