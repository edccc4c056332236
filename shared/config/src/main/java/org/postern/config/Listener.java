package org.postern.config;

import java.util.Locale;

/**
 * One SMTP listener: {@code address:port tls}, e.g. {@code 127.0.0.1:2525 may} or
 * {@code [::1]:587 required}.
 */
public record Listener(String address, int port, Tls tls, ClientCerts clientCerts) {

  /** Whether the listener asks clients for a certificate (sendmail's TLSSrvOptions, Postfix's ask_ccert/req_ccert). */
  public enum ClientCerts {
    /** No certificate is requested: {@code verify=NOT}. */
    NONE,
    /**
     * A certificate is requested; a client without one, or with one that does not verify, may go
     * on. The default wherever STARTTLS is offered, as sendmail asks unless TLSSrvOptions says V.
     */
    REQUEST,
    /** A verified certificate is required before mail is accepted. */
    REQUIRE
  }

  public Listener(String address, int port, Tls tls) {
    this(address, port, tls, defaultClientCerts(tls));
  }

  /** What the listener does about STARTTLS. */
  public enum Tls {
    /** STARTTLS is not offered. */
    NONE,
    /** STARTTLS is offered; plaintext is accepted. */
    MAY,
    /** STARTTLS is offered and must succeed before mail is accepted (not for a public MX). */
    REQUIRED
  }

  public static Listener parse(String text) {
    String[] parts = text.strip().split("\\s+");
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException(
          "expected 'address:port tls [ccert=none|request|require]' (tls = none, may or required), got '" + text + "'");
    }
    ClientCerts ccert = null;
    if (parts.length == 3) {
      if (!parts[2].toLowerCase(Locale.ROOT).startsWith("ccert=")) {
        throw new IllegalArgumentException("unknown listener option '" + parts[2] + "' (expected ccert=none, request or require)");
      }
      try {
        ccert = ClientCerts.valueOf(parts[2].substring(6).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("ccert must be none, request or require, got '" + parts[2].substring(6) + "'");
      }
    }
    HostPort hp = HostPort.parse(parts[0], -1, true);
    if (!IpLiterals.isLiteral(hp.host())) {
      throw new IllegalArgumentException("listener address must be an IP address, got '" + hp.host() + "'");
    }
    Tls tls;
    try {
      tls = Tls.valueOf(parts[1].toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("listener tls must be none, may or required, got '" + parts[1] + "'");
    }
    if (tls == Tls.NONE && ccert != null && ccert != ClientCerts.NONE) {
      throw new IllegalArgumentException("ccert=" + ccert.name().toLowerCase(Locale.ROOT) + " needs tls may or required");
    }
    return new Listener(hp.host(), hp.port(), tls, ccert == null ? defaultClientCerts(tls) : ccert);
  }

  /**
   * {@code request} wherever STARTTLS is offered: a TLS_Clt VERIFY, CERTISSUER or CERTSUBJECT rule
   * then works as pasted from a sendmail access map, whichever node judges it and whenever it was
   * loaded; a client without a certificate just sends none.
   */
  static ClientCerts defaultClientCerts(Tls tls) {
    return tls == Tls.NONE ? ClientCerts.NONE : ClientCerts.REQUEST;
  }

  @Override
  public String toString() {
    String host = address.contains(":") ? "[" + address + "]" : address;
    return host + ":" + port + " " + tls.name().toLowerCase(Locale.ROOT)
        + (clientCerts == defaultClientCerts(tls) ? "" : " ccert=" + clientCerts.name().toLowerCase(Locale.ROOT));
  }
}
