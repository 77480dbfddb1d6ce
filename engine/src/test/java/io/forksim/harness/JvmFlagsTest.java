package io.forksim.harness;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JvmFlagsTest
{
    @Test
    void theResourceHoldsThePomsFlags()
    {
        assertThat(JvmFlags.fromClasspath()).contains("--enable-native-access=ALL-UNNAMED", "-XX:-UseProfiledLoopPredicate");
    }

    @Test
    void flagsAreWhitespaceSeparatedAndAnUnfilteredPlaceholderIsNone()
    {
        assertThat(JvmFlags.parse(" -a  -b\n")).containsExactly("-a", "-b");
        assertThat(JvmFlags.parse("${forksim.jvm.flags}")).isEmpty();
        assertThat(JvmFlags.parse("")).isEmpty();
    }

    @Test
    void flagsTheHostAlreadyHasAreNotAppendedTwice()
    {
        final List<String> flags = List.of("--enable-native-access=ALL-UNNAMED", "-Dforksim.test.never.given=1");
        assertThat(JvmFlags.missingFromHost(flags, true)).containsExactly("-Dforksim.test.never.given=1");
        assertThat(JvmFlags.missingFromHost(flags, false)).isEqualTo(flags);
    }
}
