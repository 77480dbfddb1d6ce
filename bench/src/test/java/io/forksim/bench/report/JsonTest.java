package io.forksim.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest
{
    @Test
    void parsesNestedValues()
    {
        final Object v = Json.parse(" { \"a\" : [ 1, -2.5e3, true, false, null ], \"b\" : { \"c\" : \"x\\\"y\\u0041\\n\" }, \"e\" : {} , \"f\": [] } ");
        final Map<String, Object> m = Json.object(v);
        assertThat(Json.array(m.get("a"))).containsExactly(1.0, -2500.0, true, false, null);
        assertThat(Json.object(m.get("b")).get("c")).isEqualTo("x\"yA\n");
        assertThat(Json.object(m.get("e"))).isEmpty();
        assertThat(Json.array(m.get("f"))).isEmpty();
        assertThat(m.keySet()).containsExactly("a", "b", "e", "f");
    }

    @Test
    void jmhNonFiniteStringsAreNumbers()
    {
        assertThat(Json.number("NaN")).isNaN();
        assertThat(Json.number("Infinity")).isInfinite();
        assertThat(Json.number("-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(Json.number(2.0)).isEqualTo(2.0);
        assertThatThrownBy(() -> Json.number("x")).hasMessageContaining("not a number");
    }

    @Test
    void errorsNameTheOffset()
    {
        assertThatThrownBy(() -> Json.parse("[1, 2")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset");
        assertThatThrownBy(() -> Json.parse("{\"a\" 1}")).hasMessageContaining("expected ':'");
        assertThatThrownBy(() -> Json.parse("[1] x")).hasMessageContaining("end of input");
        assertThatThrownBy(() -> Json.parse("[tru]")).hasMessageContaining("true");
        assertThatThrownBy(() -> Json.parse("")).hasMessageContaining("a value");
    }

    @Test
    void parsesAWholeFixture()
    {
        final List<Object> entries = Json.array(Json.parse(Fixtures.text("fork-pass.json")));
        assertThat(entries).hasSize(8);
    }
}
