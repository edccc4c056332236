package org.postern.smtp;

/**
 * What the session asks its adapter to do. The session never performs I/O itself: it returns
 * effects, and the adapter reports their results back ({@link SmtpSession#senderDecided},
 * {@link SmtpSession#recipientDecided},
 * {@link SmtpSession#messageRead}, {@link SmtpSession#chunkData}, {@link SmtpSession#chunkEnd},
 * {@link SmtpSession#credentialsChecked}, {@link SmtpSession#queued}, {@link SmtpSession#tlsStarted}).
 */
public sealed interface Effect {

  /** Write this reply. */
  record Send(Reply reply) implements Effect {}

  /**
   * Ask policy whether this sender may start a transaction; answer with
   * {@link SmtpSession#senderDecided}. No further input is processed until then.
   */
  record CheckSender(Path sender) implements Effect {}

  /**
   * Ask policy whether this recipient is acceptable; answer with
   * {@link SmtpSession#recipientDecided}. No further input is processed until then.
   */
  record CheckRecipient(Path sender, Path recipient) implements Effect {}

  /**
   * Send {@code ready} (the 220) and start the TLS handshake. Input the client sent after the
   * STARTTLS line and before the handshake must be discarded, never executed (CVE-2011-0411).
   */
  record StartTls(Reply ready) implements Effect {}

  /** Switch the input to DATA mode: lines go to a {@link DataReader} until the lone dot. */
  record ReadData(long maxSize) implements Effect {}

  /**
   * Read exactly {@code size} octets of BDAT chunk (RFC 3030), pass them to
   * {@link SmtpSession#chunkData} in pieces, then call {@link SmtpSession#chunkEnd}. The octets
   * are read even when the chunk will be refused, so the session stays in step with the client.
   */
  record ReadChunk(long size) implements Effect {}

  /** Verify a user's password (slow on purpose: off the event loop); answer with {@link SmtpSession#credentialsChecked}. */
  record CheckCredentials(String mechanism, String user, String password) implements Effect {}

  /** Hand the message to the queue; answer with {@link SmtpSession#queued} or {@link SmtpSession#queueFailed}. */
  record Enqueue(Envelope envelope, byte[] body) implements Effect {}

  /**
   * XCLIENT from an authorized front end: take these attributes as the client's (address, name
   * and port are the adapter's to keep), ask policy's connect-time question about that client,
   * and answer with {@link SmtpSession#xclientDecided}. No further input is processed until then.
   */
  record CheckClient(Xclient.Attributes attributes) implements Effect {}

  /** Close the connection once the replies before it are written. */
  record Close() implements Effect {}
}
