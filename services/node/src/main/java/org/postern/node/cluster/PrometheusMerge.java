package org.postern.node.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Merges the metrics pages of several nodes (Prometheus text format 0.0.4) into one: every sample
 * gains a {@code node} label naming the node it came from, and the samples of one metric family
 * from all nodes sit together under one {@code # HELP} and {@code # TYPE}, as the format requires.
 * A page comes from the event bus, so it is not trusted: a line that is not a comment or a
 * well-formed sample is dropped and counted, never passed on.
 */
final class PrometheusMerge {

  /** What a scraper may make of a page's line: a metric name, labels, a value, a timestamp. */
  private static final Pattern SAMPLE = Pattern.compile(
      "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^\\n]*\\})? [^ \\n]+( -?[0-9]+)?");
  private static final Pattern HEADER = Pattern.compile("# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?[^\\n]*");
  private static final int MAX_LINE = 8192;

  /** One node's page, or why there is none. */
  record Page(String node, String text, boolean answered) {}

  /** The merged page, and how many lines of the nodes' pages were dropped as malformed. */
  record Merged(String text, int dropped) {}

  private static final class Family {
    final List<String> header = new ArrayList<>();
    final List<String> samples = new ArrayList<>();
  }

  private PrometheusMerge() {}

  /**
   * The pages merged, followed by {@code postern_cluster_member_up}: 1 for each node that
   * answered, 0 (named as well as it is known) for each that did not.
   */
  static Merged merge(List<Page> pages) {
    Map<String, Family> families = new LinkedHashMap<>();
    int dropped = 0;
    for (Page page : pages) {
      if (!page.answered()) {
        continue;
      }
      String label = "node=\"" + escape(page.node()) + "\"";
      String current = null;
      for (String line : page.text().split("\n", -1)) {
        if (line.isEmpty()) {
          continue;
        }
        if (line.length() > MAX_LINE) {
          dropped++;
          continue;
        }
        if (line.startsWith("#")) {
          var m = HEADER.matcher(line);
          if (!m.matches()) {
            continue; // a plain comment says nothing a scraper reads
          }
          current = m.group(2);
          Family f = families.computeIfAbsent(current, k -> new Family());
          // The first node to describe a family describes it for all.
          if (f.header.stream().noneMatch(h -> h.startsWith("# " + m.group(1) + " "))) {
            f.header.add(line);
          }
          continue;
        }
        if (!SAMPLE.matcher(line).matches()) {
          dropped++;
          continue;
        }
        String name = line.substring(0, nameEnd(line));
        // A sample belongs to the family its header named (a histogram's _bucket, _sum, _count),
        // or is a family of its own when no header came before it.
        String family = current != null && name.startsWith(current) ? current : name;
        families.computeIfAbsent(family, k -> new Family()).samples.add(labelled(line, label));
      }
    }
    StringBuilder out = new StringBuilder();
    for (Family f : families.values()) {
      f.header.forEach(h -> out.append(h).append('\n'));
      f.samples.forEach(s -> out.append(s).append('\n'));
    }
    out.append("# HELP postern_cluster_member_up Whether the cluster member answered this scrape in time\n");
    out.append("# TYPE postern_cluster_member_up gauge\n");
    for (Page page : pages) {
      out.append("postern_cluster_member_up{node=\"").append(escape(page.node())).append("\"} ")
          .append(page.answered() ? 1 : 0).append('\n');
    }
    return new Merged(out.toString(), dropped);
  }

  private static int nameEnd(String sample) {
    int i = 0;
    while (i < sample.length() && sample.charAt(i) != '{' && sample.charAt(i) != ' ') {
      i++;
    }
    return i;
  }

  /** {@code sample} with {@code label} first among its labels. */
  private static String labelled(String sample, String label) {
    int end = nameEnd(sample);
    if (sample.charAt(end) == ' ') {
      return sample.substring(0, end) + "{" + label + "}" + sample.substring(end);
    }
    String rest = sample.substring(end + 1);
    return sample.substring(0, end) + "{" + label + (rest.startsWith("}") ? "" : ",") + rest;
  }

  /** A label value as the text format writes it. */
  static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
