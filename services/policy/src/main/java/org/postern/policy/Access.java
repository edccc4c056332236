package org.postern.policy;

import java.util.Locale;

/** The right-hand sides of sendmail's {@code Connect:}, {@code To:}, {@code CERTISSUER:} and {@code CERTSUBJECT:} entries. */
public enum Access {
  /** Accept, and skip the checks that would refuse; no relay permission by itself. */
  OK,
  /** Relaying is allowed. */
  RELAY,
  /** Refuse. */
  REJECT;

  static Access parse(String value, String entry, Access... allowed) {
    for (Access a : allowed) {
      if (a.name().equals(value.strip().toUpperCase(Locale.ROOT))) {
        return a;
      }
    }
    StringBuilder names = new StringBuilder();
    for (Access a : allowed) {
      names.append(names.length() == 0 ? "" : "|").append(a.name());
    }
    throw new IllegalArgumentException(entry + " expects " + names + ", got '" + value.strip() + "'");
  }
}
