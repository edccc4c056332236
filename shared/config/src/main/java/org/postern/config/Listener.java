package org.postern.config;

import java.util.Locale;

/**
 * One SMTP listener: {@code address:port tls [ccert=...] [proxy=v1|v2]}, e.g.
 * {@code 127.0.0.1:2525 may} or {@code [::1]:587 required}.
 */
public record Listener(String address, int port, Tls tls, ClientCerts clientCerts, Proxy proxy) {

  /**
   * Whether every connection starts with HAProxy's PROXY protocol header, which names the client a
   * load balancer accepted: {@code proxy=v1} (text) or {@code proxy=v2} (binary). Postfix's
   * smtpd_upstream_proxy_protocol.
   */
  public enum Proxy {
    NONE,
    V1,
    V2
  }

  public Listener(String address, int port, Tls tls, ClientCerts clientCerts) {
    this(address, port, tls, clientCerts, Proxy.NONE);
  }

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
    if (parts.length < 2 || parts.length > 4) {
      throw new IllegalArgumentException("expected 'address:port tls [ccert=none|request|require] [proxy=v1|v2]'"
          + " (tls = none, may or required), got '" + text + "'");
    }
    ClientCerts ccert = null;
    Proxy proxy = null;
    for (int i = 2; i < parts.length; i++) {
      String option = parts[i].toLowerCase(Locale.ROOT);
      if (option.startsWith("ccert=") && ccert == null) {
        try {
          ccert = ClientCerts.valueOf(parts[i].substring(6).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("ccert must be none, request or require, got '" + parts[i].substring(6) + "'");
        }
      } else if (option.startsWith("proxy=") && proxy == null) {
        proxy = switch (option.substring(6)) {
          case "v1" -> Proxy.V1;
          case "v2" -> Proxy.V2;
          case "none" -> Proxy.NONE;
          default -> throw new IllegalArgumentException("proxy must be v1, v2 or none, got '" + parts[i].substring(6) + "'");
        };
      } else {
        throw new IllegalArgumentException("unknown or repeated listener option '" + parts[i]
            + "' (expected ccert=none|request|require, proxy=v1|v2)");
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
    return new Listener(hp.host(), hp.port(), tls, ccert == null ? defaultClientCerts(tls) : ccert,
        proxy == null ? Proxy.NONE : proxy);
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
        + (clientCerts == defaultClientCerts(tls) ? "" : " ccert=" + clientCerts.name().toLowerCase(Locale.ROOT))
        + (proxy == Proxy.NONE ? "" : " proxy=" + proxy.name().toLowerCase(Locale.ROOT));
  }
}
