package org.postern.outbound.sts;

/**
 * One thing that failed, or would have failed, a domain's MTA-STS policy: what TLS reporting
 * (RFC 8460, issue 19) counts per policy. In mode testing the delivery goes ahead regardless; in
 * mode enforce the MX host is skipped or the delivery deferred.
 *
 * @param domain the recipient domain whose policy applies
 * @param policyId the id of the policy (its TXT record's), or empty when none was fetched
 * @param mode the policy's mode, or null when no policy could be had
 * @param mxHost the MX host concerned, or empty for a failure about the policy itself
 * @param result the failure type, in RFC 8460 §4.3's words
 * @param detail what exactly happened, for people
 */
public record StsFailure(String domain, String policyId, StsPolicy.Mode mode, String mxHost, Result result,
    String detail) {

  /** RFC 8460 §4.3's result types that MTA-STS can produce. */
  public enum Result {
    STARTTLS_NOT_SUPPORTED("starttls-not-supported"),
    CERTIFICATE_HOST_MISMATCH("certificate-host-mismatch"),
    CERTIFICATE_NOT_TRUSTED("certificate-not-trusted"),
    CERTIFICATE_EXPIRED("certificate-expired"),
    /** The MX host is not among the policy's mx patterns. */
    VALIDATION_FAILURE("validation-failure"),
    STS_POLICY_FETCH_ERROR("sts-policy-fetch-error"),
    STS_POLICY_INVALID("sts-policy-invalid"),
    STS_WEBPKI_INVALID("sts-webpki-invalid");

    private final String word;

    Result(String word) {
      this.word = word;
    }

    public String word() {
      return word;
    }
  }

  /** The log line's tail: {@code domain=... policy_id=... mode=... mx=... result=... detail=...}. */
  public String describe() {
    return "domain=" + domain + " policy_id=" + (policyId.isEmpty() ? "-" : policyId) + " mode="
        + (mode == null ? "-" : mode.word()) + " mx=" + (mxHost.isEmpty() ? "-" : mxHost) + " result=" + result.word()
        + " detail=" + detail;
  }
}
