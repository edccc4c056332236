package org.postern.smtp;

import java.util.List;
import java.util.Map;

/**
 * A parsed SMTP command. {@link CommandParser} produces these; {@link SmtpSession} consumes them.
 * A line that cannot be parsed becomes {@link Invalid}, which carries the reply the client gets.
 */
public sealed interface Command {

  /** The verb as the client should see it in a log line, upper case. */
  String verb();

  record Ehlo(String domain) implements Command {
    public String verb() {
      return "EHLO";
    }
  }

  record Helo(String domain) implements Command {
    public String verb() {
      return "HELO";
    }
  }

  /** MAIL FROM with its ESMTP parameters (upper-cased keys; a value-less key maps to ""). */
  record Mail(Path sender, Map<String, String> params) implements Command {
    public Mail {
      params = Map.copyOf(params);
    }

    public String verb() {
      return "MAIL";
    }
  }

  record Rcpt(Path recipient, Map<String, String> params) implements Command {
    public Rcpt {
      params = Map.copyOf(params);
    }

    public String verb() {
      return "RCPT";
    }
  }

  record Data() implements Command {
    public String verb() {
      return "DATA";
    }
  }

  record Rset() implements Command {
    public String verb() {
      return "RSET";
    }
  }

  record Noop() implements Command {
    public String verb() {
      return "NOOP";
    }
  }

  record Quit() implements Command {
    public String verb() {
      return "QUIT";
    }
  }

  record Help() implements Command {
    public String verb() {
      return "HELP";
    }
  }

  record Vrfy(String argument) implements Command {
    public String verb() {
      return "VRFY";
    }
  }

  /** STARTTLS; {@code hasArgument} is true when the client sent anything after the verb. */
  record StartTls(boolean hasArgument) implements Command {
    public String verb() {
      return "STARTTLS";
    }
  }

  /**
   * AUTH (RFC 4954) with its mechanism, upper-cased, and the optional initial response (base64,
   * {@code =} for an empty one), or null when absent.
   */
  record Auth(String mechanism, String initialResponse) implements Command {
    public String verb() {
      return "AUTH";
    }
  }

  /** BDAT (RFC 3030): a chunk of {@code size} octets follows the command line; LAST ends the message. */
  record Bdat(long size, boolean last) implements Command {
    public String verb() {
      return "BDAT";
    }
  }

  /**
   * XCLIENT (Postfix) with its {@code name=value} words, not yet judged: whether this client may
   * send it at all comes first, so a stranger learns nothing from a syntax error.
   */
  record Xclient(List<String> words) implements Command {
    public Xclient {
      words = List.copyOf(words);
    }

    public String verb() {
      return "XCLIENT";
    }
  }

  /** A verb we do not implement. */
  record Unknown(String verb) implements Command {}

  /** A known verb with bad syntax: the reply says what is wrong. */
  record Invalid(String verb, Reply reply) implements Command {}
}
