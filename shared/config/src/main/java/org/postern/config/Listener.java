package org.postern.config;

import java.util.Locale;

/**
 * One SMTP listener: {@code address:port tls}, e.g. {@code 127.0.0.1:2525 may} or
 * {@code [::1]:587 required}.
 */
public record Listener(String address, int port, Tls tls) {

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
    if (parts.length != 2) {
      throw new IllegalArgumentException("expected 'address:port tls' (tls = none, may or required), got '" + text + "'");
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
    return new Listener(hp.host(), hp.port(), tls);
  }

  @Override
  public String toString() {
    String host = address.contains(":") ? "[" + address + "]" : address;
    return host + ":" + port + " " + tls.name().toLowerCase(Locale.ROOT);
  }
}
