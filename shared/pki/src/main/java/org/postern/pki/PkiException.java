package org.postern.pki;

/**
 * An expected failure of a PKI operation, caused by its input or by the state of the CA directory:
 * a bad subject, an unknown key type, a missing CA, a CSR whose signature does not verify. The
 * message is one line that names what is wrong, fit to print as it is; there is no stack trace to
 * show.
 */
public final class PkiException extends Exception {

  public PkiException(String message) {
    super(message, null, false, false);
  }
}
