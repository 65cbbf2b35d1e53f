package dev.edgeproxy.repo;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The directions between the parts, as the README's design map draws them. Maven's module graph
 * already keeps modules from depending on what they do not declare; this keeps the packages inside
 * and across modules pointing one way, so a shortcut that would tie the layers together fails here.
 *
 * <pre>
 *   edge-proxy (dev.edgeproxy.server..)  wires everything; nothing depends on it
 *     ├── sni-router (dev.edgeproxy.sni)  Netty and the JDK only
 *     ├── dns-sync (dev.edgeproxy.dns), gitops-sync (dev.edgeproxy.git)  produce allow-list snapshots
 *     └── config: dev.edgeproxy.config → dev.edgeproxy.allowlist → dev.edgeproxy.yaml
 *
 *   inside edge-proxy, each part only reaches down:
 *     cli → server (EdgeProxyServer: listeners, reload) → admin → sources → routing → pool → transport
 *     observe and limits are leaves any of them may use
 * </pre>
 */
class ArchitectureTest {
  static JavaClasses ours;

  @BeforeAll
  static void importProductionClasses() {
    ours =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // the modules arrive as jars here; their test jars hold fixtures, not the product
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("dev.edgeproxy");
  }

  @Test
  void everyModuleIsImported() {
    for (String pkg :
        new String[] {
          "dev.edgeproxy.config", "dev.edgeproxy.allowlist", "dev.edgeproxy.yaml",
          "dev.edgeproxy.sni", "dev.edgeproxy.dns", "dev.edgeproxy.git", "dev.edgeproxy.server",
          "dev.edgeproxy.server.cli", "dev.edgeproxy.server.admin", "dev.edgeproxy.server.sources",
          "dev.edgeproxy.server.routing", "dev.edgeproxy.server.pool", "dev.edgeproxy.server.transport",
          "dev.edgeproxy.server.observe", "dev.edgeproxy.server.limits"
        }) {
      org.assertj.core.api.Assertions.assertThat(ours.containPackage(pkg)).as(pkg).isTrue();
    }
  }

  @Test
  void theSniRouterDependsOnNettyAndTheJdkOnly() {
    classes()
        .that()
        .resideInAPackage("dev.edgeproxy.sni..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("dev.edgeproxy.sni..", "io.netty..", "java..", "javax..")
        .check(ours);
  }

  @Test
  void theConfigModuleDependsOnNothingOfOurs() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.edgeproxy.config..", "dev.edgeproxy.allowlist..", "dev.edgeproxy.yaml..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.edgeproxy.sni..", "dev.edgeproxy.dns..", "dev.edgeproxy.git..", "dev.edgeproxy.server..")
        .check(ours);
  }

  @Test
  void insideTheConfigModuleTheAllowListModelDoesNotKnowTheConfiguration() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.edgeproxy.allowlist..", "dev.edgeproxy.yaml..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.config..")
        .check(ours);
    noClasses()
        .that()
        .resideInAPackage("dev.edgeproxy.yaml..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.allowlist..")
        .check(ours);
  }

  @Test
  void theSourcesKnowOnlyTheAllowListModel() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.edgeproxy.dns..", "dev.edgeproxy.git..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.edgeproxy.sni..", "dev.edgeproxy.server..")
        .check(ours);
    noClasses()
        .that()
        .resideInAPackage("dev.edgeproxy.dns..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.git..")
        .check(ours);
    noClasses()
        .that()
        .resideInAPackage("dev.edgeproxy.git..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.dns..")
        .check(ours);
  }

  @Test
  void insideEdgeProxyEachPartOnlyReachesDown() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("cli").definedBy("dev.edgeproxy.server.cli..")
        .layer("wiring").definedBy("dev.edgeproxy.server")
        .layer("admin").definedBy("dev.edgeproxy.server.admin..")
        .layer("sources").definedBy("dev.edgeproxy.server.sources..")
        .layer("routing").definedBy("dev.edgeproxy.server.routing..")
        .layer("pool").definedBy("dev.edgeproxy.server.pool..")
        .layer("transport").definedBy("dev.edgeproxy.server.transport..")
        .layer("observe").definedBy("dev.edgeproxy.server.observe..")
        .layer("limits").definedBy("dev.edgeproxy.server.limits..")
        .whereLayer("cli").mayNotBeAccessedByAnyLayer()
        .whereLayer("wiring").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("admin").mayOnlyBeAccessedByLayers("wiring", "cli")
        .whereLayer("sources").mayOnlyBeAccessedByLayers("admin", "wiring", "cli")
        .whereLayer("routing").mayOnlyBeAccessedByLayers("sources", "admin", "wiring", "cli")
        .whereLayer("pool").mayOnlyBeAccessedByLayers("routing", "sources", "admin", "wiring", "cli")
        .whereLayer("transport").mayOnlyBeAccessedByLayers("pool", "admin", "wiring", "cli")
        .check(ours);
    noClasses()
        .that()
        .resideInAnyPackage("dev.edgeproxy.server.observe..", "dev.edgeproxy.server.limits..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.edgeproxy.server", "dev.edgeproxy.server.cli..", "dev.edgeproxy.server.admin..",
            "dev.edgeproxy.server.sources..", "dev.edgeproxy.server.routing..", "dev.edgeproxy.server.pool..",
            "dev.edgeproxy.server.transport..")
        .check(ours);
  }

  @Test
  void noPackagesDependOnEachOtherInACycle() {
    slices().matching("dev.edgeproxy.(**)").should().beFreeOfCycles().check(ours);
  }
}
