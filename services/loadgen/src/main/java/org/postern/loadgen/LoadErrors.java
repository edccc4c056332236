package org.postern.loadgen;

/**
 * Why a session or message failed, where no library exception says it. The report counts
 * failures by these class names (and by the names of library exceptions, such as
 * {@code ConnectException} or {@code SSLHandshakeException}).
 */
final class LoadErrors {

  private LoadErrors() {}

  /** The server answered with a code we did not expect; counted by code and stage, not by type. */
  static final class UnexpectedReply extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String stage;
    final SmtpReply reply;

    UnexpectedReply(String stage, SmtpReply reply) {
      super(stage + ": " + reply, null, false, false);
      this.stage = stage;
      this.reply = reply;
    }

    /** The key in the report's errors by reply code: {@code 554 at RCPT}. */
    String key() {
      return reply.code() + " at " + stage;
    }
  }

  /** No reply within the reply timeout. */
  static final class ReplyTimeout extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ReplyTimeout(String stage) {
      super("no reply to " + stage + " in time", null, false, false);
    }
  }

  /** The server closed the connection while we expected more. */
  static final class ConnectionClosed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConnectionClosed(String stage) {
      super("connection closed by the server during " + stage, null, false, false);
    }
  }

  /** A malformed reply. */
  static final class Protocol extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Protocol(String message) {
      super(message, null, false, false);
    }
  }

  /** The EHLO reply did not list STARTTLS although the session was to use it. */
  static final class NoStartTls extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NoStartTls() {
      super("STARTTLS not offered in the EHLO reply", null, false, false);
    }
  }

  /** The run ended (duration or stop) while the session was busy; counted as aborted, not failed. */
  static final class Aborted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Aborted() {
      super("run ended", null, false, false);
    }
  }
}
