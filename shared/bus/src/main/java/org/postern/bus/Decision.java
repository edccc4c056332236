package org.postern.bus;

/** A policy verdict, in the order Haraka's hooks and Postfix's access maps use. */
public enum Decision {
  /** Go on. */
  ACCEPT,
  /** Refuse permanently (5xx). */
  REJECT,
  /** Refuse for now (4xx); also the answer to any timeout or failure. */
  TEMPFAIL
}
