package org.postern.tls;

import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.internal.tcnative.SSL;
import io.netty.util.IllegalReferenceCountException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLEngine;

/**
 * The keys the listener's OpenSSL contexts seal TLS session tickets with (TLS 1.3 and 1.2), so a
 * client resumes on any event loop of any node that holds the same secret, and after a restart.
 *
 * <p>Without keys of our own, BoringSSL draws a random ticket key per SSL context, and there is one
 * context per event loop (and per SNI name, and per certificate reload): a client came back to
 * another one about half the time and got a full handshake. Time is cut into periods of
 * {@code tls.session_ticket_lifetime} counted from the Unix epoch; the key of period {@code n} is
 * HKDF-SHA256 of the secret with {@code n} as its info, so nodes that share the secret and roughly
 * agree on the time hold the same keys without talking to each other. A context seals with the key
 * of the current period and opens tickets of the previous one (issued up to one period ago) and of
 * the next one (from a node whose clock runs a little ahead); BoringSSL replaces a ticket opened
 * with any but the current key.
 *
 * <p>The secret comes from {@code tls.session_ticket_key_file} (0600, checked like a private key),
 * or, when that is empty, from {@link SecureRandom} at start: then tickets resume only on this node
 * and only until it restarts.
 */
public final class SessionTickets {

  /** Shorter than this and the file is more likely a mistake (an empty line) than a secret. */
  static final int MIN_SECRET_BYTES = 32;
  private static final byte[] SALT = "postern session ticket keys v1".getBytes(StandardCharsets.US_ASCII);

  private final boolean enabled;
  private final String keyFile;
  private final Duration lifetime;
  /** Every server context built so far; weak, so one Vert.x has dropped (a reload) is not kept alive. */
  private final Set<SslContext> contexts = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
  private volatile byte[] secret;
  private volatile long period = Long.MIN_VALUE;
  private volatile OpenSslSessionTicketKey[] keys;

  /**
   * @param enabled {@code tls.session_tickets}; false sends no tickets at all
   * @param keyFile {@code tls.session_ticket_key_file}; empty for a random secret per start
   * @param lifetime {@code tls.session_ticket_lifetime}: the length of one key period
   */
  public SessionTickets(boolean enabled, String keyFile, Duration lifetime) {
    this.enabled = enabled;
    this.keyFile = keyFile;
    this.lifetime = lifetime;
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * Reads the secret (or draws a random one) and derives the keys for {@code now}. Blocking: call
   * from a worker or at start-up, before any listener builds a context.
   *
   * @throws IOException naming {@code tls.session_ticket_key_file}, the file and what is wrong with it
   */
  public void load(Instant now) throws IOException {
    if (!enabled) {
      return;
    }
    if (keyFile.isEmpty()) {
      byte[] random = new byte[MIN_SECRET_BYTES];
      new SecureRandom().nextBytes(random);
      secret = random;
    } else {
      secret = readSecret(Path.of(keyFile));
    }
    period = Long.MIN_VALUE;
    rotate(now);
  }

  /**
   * Refuses a secret file that is missing, readable by group or others, or too short; returns its
   * content without surrounding white space (so an editor's final newline on one node does not
   * split the cluster).
   */
  static byte[] readSecret(Path file) throws IOException {
    String setting = "tls.session_ticket_key_file " + file;
    String make = "create one with: openssl rand -base64 48 > " + file + " && chmod 600 " + file;
    if (!Files.exists(file)) {
      throw new IOException(setting + " does not exist; " + make);
    }
    try {
      KeyFiles.checkPermissions(file);
    } catch (KeyFiles.InsecureKeyFileException e) {
      throw new IOException(setting + ": the secret is accessible by group or others; fix with: chmod 600 " + file, e);
    }
    String text = ServerCredentials.read(file, "tls.session_ticket_key_file").strip();
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new IOException(setting + ": the secret is " + bytes.length + " bytes, at least " + MIN_SECRET_BYTES
          + " are needed; " + make);
    }
    return bytes;
  }

  /** What the start log says about tickets. */
  public String describe() {
    if (!enabled) {
      return "TLS session tickets: off (tls.session_tickets = no)";
    }
    return "TLS session tickets: keys from " + (keyFile.isEmpty()
        ? "a random secret made at start (tls.session_ticket_key_file is empty: clients resume on this node only,"
            + " until it restarts)"
        : "tls.session_ticket_key_file " + keyFile) + ", next key every " + lifetime.toSeconds() + "s";
  }

  /** Time left until the next key period begins, at least one millisecond. */
  public Duration untilNextPeriod(Instant now) {
    long ms = lifetime.toMillis();
    return Duration.ofMillis(Math.max(1, ms - Math.floorMod(now.toEpochMilli(), ms)));
  }

  /**
   * Moves every context to the keys of the period {@code now} falls in, if that is a new one. Takes
   * each context's write lock, which waits for handshakes in progress on it: call from a worker.
   *
   * @return whether the keys changed
   */
  public boolean rotate(Instant now) {
    if (!enabled || secret == null) {
      return false;
    }
    long current = Math.floorDiv(now.toEpochMilli(), lifetime.toMillis());
    if (current == period) {
      return false;
    }
    keys = new OpenSslSessionTicketKey[] {key(secret, current), key(secret, current - 1), key(secret, current + 1)};
    period = current;
    List<SslContext> all;
    synchronized (contexts) {
      all = new ArrayList<>(contexts);
    }
    all.forEach(this::install);
    return true;
  }

  /**
   * Gives a new server context the current keys and remembers it for the next {@link #rotate}; with
   * tickets off, returns it wrapped so that it sends none. Contexts of another engine are left alone.
   */
  SslContext attach(SslContext ctx) {
    if (!(ctx instanceof ReferenceCountedOpenSslContext openssl) || openssl.isClient()) {
      return ctx;
    }
    if (!enabled) {
      return new WithoutTickets(ctx);
    }
    contexts.add(ctx);
    install(ctx);
    return ctx;
  }

  private void install(SslContext ctx) {
    OpenSslSessionTicketKey[] now = keys;
    ReferenceCountedOpenSslContext openssl = (ReferenceCountedOpenSslContext) ctx;
    if (now == null) {
      return;
    }
    try {
      // Held while the keys go in, so the native context cannot be freed under us.
      openssl.retain();
    } catch (IllegalReferenceCountException released) {
      contexts.remove(ctx);
      return;
    }
    try {
      openssl.sessionContext().setTicketKeys(now);
      // BoringSSL also ends a TLS 1.2 session after its own timeout (2 h by default): the longest a
      // ticket can be opened here is two periods.
      openssl.sessionContext().setSessionTimeout((int) Math.min(Integer.MAX_VALUE, lifetime.toSeconds() * 2));
    } finally {
      openssl.release();
    }
  }

  /** The key of {@code period}: HKDF-SHA256 (RFC 5869) of the secret, 16 bytes each of name, HMAC and AES key. */
  static OpenSslSessionTicketKey key(byte[] secret, long period) {
    byte[] okm = hkdf(secret, ByteBuffer.allocate(Long.BYTES).putLong(period).array(), 48);
    return new OpenSslSessionTicketKey(Arrays.copyOfRange(okm, 0, 16), Arrays.copyOfRange(okm, 16, 32),
        Arrays.copyOfRange(okm, 32, 48));
  }

  static byte[] hkdf(byte[] ikm, byte[] info, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SALT, "HmacSHA256"));
      byte[] prk = mac.doFinal(ikm);
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      byte[] out = new byte[length];
      byte[] t = new byte[0];
      for (int done = 0, i = 1; done < length; i++) {
        mac.update(t);
        mac.update(info);
        mac.update((byte) i);
        t = mac.doFinal();
        System.arraycopy(t, 0, out, done, Math.min(t.length, length - done));
        done += t.length;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  /**
   * A context whose engines send no session tickets. Netty clears SSL_OP_NO_TICKET on every TLS 1.3
   * server engine it makes, and tcnative cannot set BoringSSL's number of tickets (its
   * {@code setNumTickets} returns false): so the option is set again on each new engine.
   */
  private static final class WithoutTickets extends DelegatingSslContext {

    WithoutTickets(SslContext ctx) {
      super(ctx);
    }

    @Override
    protected void initEngine(SSLEngine engine) {
      if (engine instanceof ReferenceCountedOpenSslEngine openssl) {
        SSL.setOptions(openssl.sslPointer(), SSL.SSL_OP_NO_TICKET);
      }
    }
  }
}
