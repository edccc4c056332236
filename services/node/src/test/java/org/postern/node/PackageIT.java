package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * The Debian package ({@code deploy/package/build-deb.sh}) as an operator gets it: what it holds,
 * the launcher, man pages and completion from an unpacked tree, and (as root, which CI is) a real
 * {@code dpkg -i}: the system user and state directory, a node started from the package as that
 * user answering SMTP, {@code man}, the unit accepted by {@code systemd-analyze verify}, then
 * removal and purge.
 */
class PackageIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  static Path built;

  @TempDir
  Path work;

  private static Path deb;

  @BeforeAll
  static void buildOnce() throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", NodeProcess.REPO.resolve("deploy/package/build-deb.sh").toString(),
        built.toString()).redirectErrorStream(true);
    pb.environment().put("POSTERN_JAR", NodeProcess.JAR.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "build-deb.sh did not finish");
    assertEquals(0, p.exitValue(), text);
    deb = built.resolve("postern_0.1.0_all.deb");
    assertTrue(Files.isRegularFile(deb), text);
  }

  private record Out(int exit, String text) {}

  private static Out sh(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
    return new Out(p.exitValue(), text);
  }

  @Test
  void thePackageHoldsTheLauncherUnitManPagesAndCompletion() throws Exception {
    Out info = sh(work, "dpkg-deb", "--info", deb.toString());
    assertEquals(0, info.exit(), info.text());
    assertTrue(info.text().contains("Package: postern"), info.text());
    assertTrue(info.text().contains("Depends: openjdk-17-jre-headless"), info.text());
    Out contents = sh(work, "dpkg-deb", "--contents", deb.toString());
    for (String path : List.of("./usr/bin/postern", "./usr/share/postern/postern.jar", "./etc/postern/postern.conf",
        "./lib/systemd/system/postern.service", "./usr/share/bash-completion/completions/postern",
        "./usr/share/man/man1/postern.1.gz", "./usr/share/man/man1/postern-tls-probe.1.gz",
        "./usr/share/man/man1/postern-queue-shape.1.gz")) {
      assertTrue(contents.text().contains(path + "\n"), path + " missing:\n" + contents.text());
    }

    Path root = work.resolve("root");
    assertEquals(0, sh(work, "dpkg-deb", "-x", deb.toString(), root.toString()).exit());
    Out version = sh(work, root.resolve("usr/bin/postern").toString(), "version");
    assertEquals("postern 0.1.0", version.text().strip(), version.text());
    Out man = sh(work, "man", "-l", root.resolve("usr/share/man/man1/postern-tls-probe.1.gz").toString());
    assertEquals(0, man.exit(), man.text());
    assertTrue(man.text().contains("postern-tls-probe - Connect to a destination as delivery would"), man.text());
    assertTrue(man.text().contains("--domain=DOMAIN"), man.text());
    Out complete = sh(work, "bash", "-c", "source " + root.resolve("usr/share/bash-completion/completions/postern")
        + "; COMP_WORDS=(postern tls pr); COMP_CWORD=2; COMP_LINE='postern tls pr'; COMP_POINT=${#COMP_LINE};"
        + " _complete_postern; printf '%s\\n' \"${COMPREPLY[@]}\"");
    assertEquals("probe", complete.text().strip(), complete.text());

    String unit = Files.readString(root.resolve("lib/systemd/system/postern.service"));
    assertTrue(unit.contains("\nExecStart=/usr/bin/postern run --config /etc/postern/postern.conf\n"), unit);
    assertTrue(unit.contains("\nExecReload=/bin/kill -HUP $MAINPID\n"), unit);
    assertFalse(unit.contains("\n    --cluster"), "a stand-alone node by default:\n" + unit);
    assertFalse(unit.contains("/opt/postern"), "the repository's install notes do not apply:\n" + unit);
  }

  @Test
  void installsRunsAsItsOwnUserAndRemoves() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "dpkg -i needs root (CI runs as root)");
    assumeTrue(sh(work, "dpkg", "-s", "postern").exit() != 0, "a postern package is already installed here");
    Path state = Path.of("/var/lib/postern");
    boolean hadUser = sh(work, "getent", "passwd", "postern").exit() == 0;
    boolean hadState = Files.exists(state);
    try {
      Out install = sh(work, "dpkg", "-i", deb.toString());
      assertEquals(0, install.exit(), install.text());
      Out user = sh(work, "getent", "passwd", "postern");
      assertTrue(user.text().startsWith("postern:x:") && user.text().contains(":/var/lib/postern:"), user.text());
      assertEquals("postern", Files.getOwner(state).getName());
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)));
      assertEquals("postern 0.1.0", sh(work, "/usr/bin/postern", "version").text().strip());
      Out manPath = sh(work, "man", "-w", "postern-tls-probe");
      assertEquals("/usr/share/man/man1/postern-tls-probe.1.gz", manPath.text().strip(), manPath.text());
      Out verify = sh(work, "systemd-analyze", "verify", "/lib/systemd/system/postern.service");
      assertEquals(0, verify.exit(), verify.text());

      runsAsPostern();

      assertEquals(0, sh(work, "dpkg", "-r", "postern").exit());
      assertFalse(Files.exists(Path.of("/usr/bin/postern")));
      assertTrue(Files.exists(Path.of("/etc/postern/postern.conf")), "a removed package keeps its conffile");
      assertEquals(0, sh(work, "dpkg", "-P", "postern").exit());
      assertFalse(Files.exists(Path.of("/etc/postern/postern.conf")), "purge removes the conffile");
      assertTrue(Files.isDirectory(state), "the spool may hold mail: purge keeps /var/lib/postern");
    } finally {
      // Leave the machine as it was found.
      sh(work, "dpkg", "-P", "postern");
      if (!hadState) {
        sh(work, "rm", "-rf", state.toString());
      }
      if (!hadUser) {
        sh(work, "deluser", "--system", "postern");
      }
    }
  }

  /** The packaged launcher and configuration, started as the unit starts it: user postern, in /var/lib/postern. */
  private void runsAsPostern() throws Exception {
    int smtp = FreePorts.loopback();
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", "postern", "--", "/usr/bin/postern", "run",
        "--config", "/etc/postern/postern.conf", "--set", "inbound.listeners=127.0.0.1:" + smtp + " may",
        "--set", "node.admin_listen=", "--set", "node.hostname=packaged.postern.test"));
    Process node = new ProcessBuilder(cmd).directory(new java.io.File("/var/lib/postern"))
        .redirectErrorStream(true).redirectOutput(work.resolve("node.log").toFile()).start();
    try {
      String banner = null;
      Instant deadline = Instant.now().plus(WAIT);
      while (banner == null && Instant.now().isBefore(deadline) && node.isAlive()) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", smtp), 1000);
          banner = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        } catch (IOException e) {
          Thread.sleep(100); // polling the port with a deadline: the node is still starting
        }
      }
      String log = Files.readString(work.resolve("node.log"));
      assertTrue(banner != null && banner.startsWith("220 packaged.postern.test"), banner + "\n" + log);
      // The node made its key as user postern, in the state directory, readable by that user only.
      Path key = Path.of("/var/lib/postern/data/tls/selfsigned.key");
      assertEquals("postern", Files.getOwner(key).getName(), log);
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    } finally {
      node.destroy();
      assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the node did not stop on SIGTERM");
    }
  }
}
