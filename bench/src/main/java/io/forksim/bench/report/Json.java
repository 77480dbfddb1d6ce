package io.forksim.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259) for JMH's result files: objects become {@code LinkedHashMap}s,
 * arrays {@code ArrayList}s, numbers {@code Double}s (JMH also writes {@code "NaN"} and {@code "Infinity"}
 * as strings, which {@link #number} accepts), plus {@code String}, {@code Boolean} and {@code null}.
 * Errors name the offset and what was expected.
 */
public final class Json
{
    private final String s;
    private int pos;

    private Json(final String s)
    {
        this.s = s;
    }

    public static Object parse(final String text)
    {
        final Json j = new Json(text);
        j.ws();
        final Object v = j.value();
        j.ws();
        if (j.pos != text.length())
        {
            throw j.error("end of input");
        }
        return v;
    }

    /** A JSON number, or one of the strings JMH writes for non-finite values ("NaN", "Infinity", "-Infinity"). */
    public static double number(final Object v)
    {
        if (v instanceof Double d)
        {
            return d;
        }
        if (v instanceof String str)
        {
            return switch (str)
            {
                case "NaN" -> Double.NaN;
                case "Infinity", "+Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> throw new IllegalArgumentException("not a number: \"" + str + "\"");
            };
        }
        throw new IllegalArgumentException("not a number: " + v);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(final Object v)
    {
        if (v instanceof Map<?, ?> m)
        {
            return (Map<String, Object>)m;
        }
        throw new IllegalArgumentException("expected a JSON object, got " + describe(v));
    }

    @SuppressWarnings("unchecked")
    public static List<Object> array(final Object v)
    {
        if (v instanceof List<?> l)
        {
            return (List<Object>)l;
        }
        throw new IllegalArgumentException("expected a JSON array, got " + describe(v));
    }

    private static String describe(final Object v)
    {
        return v == null ? "null" : v.getClass().getSimpleName();
    }

    private IllegalArgumentException error(final String expected)
    {
        final int from = Math.max(0, pos - 20);
        final int to = Math.min(s.length(), pos + 20);
        return new IllegalArgumentException("bad JSON at offset " + pos + ": expected " + expected + " near '"
            + s.substring(from, to).replace('\n', ' ') + "'");
    }

    private void ws()
    {
        while (pos < s.length())
        {
            final char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            {
                return;
            }
            pos++;
        }
    }

    private Object value()
    {
        if (pos >= s.length())
        {
            throw error("a value");
        }
        final char c = s.charAt(pos);
        return switch (c)
        {
            case '{' -> obj();
            case '[' -> arr();
            case '"' -> str();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default ->
            {
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    yield num();
                }
                throw error("a value");
            }
        };
    }

    private Object literal(final String word, final Object v)
    {
        if (!s.startsWith(word, pos))
        {
            throw error(word);
        }
        pos += word.length();
        return v;
    }

    private Map<String, Object> obj()
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        ws();
        if (peek() == '}')
        {
            pos++;
            return m;
        }
        while (true)
        {
            ws();
            if (peek() != '"')
            {
                throw error("a string key");
            }
            final String k = str();
            ws();
            expect(':');
            ws();
            m.put(k, value());
            ws();
            final char c = peek();
            pos++;
            if (c == '}')
            {
                return m;
            }
            if (c != ',')
            {
                pos--;
                throw error("',' or '}'");
            }
        }
    }

    private List<Object> arr()
    {
        final List<Object> l = new ArrayList<>();
        pos++;
        ws();
        if (peek() == ']')
        {
            pos++;
            return l;
        }
        while (true)
        {
            ws();
            l.add(value());
            ws();
            final char c = peek();
            pos++;
            if (c == ']')
            {
                return l;
            }
            if (c != ',')
            {
                pos--;
                throw error("',' or ']'");
            }
        }
    }

    private char peek()
    {
        if (pos >= s.length())
        {
            throw error("more input");
        }
        return s.charAt(pos);
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("'" + c + "'");
        }
        pos++;
    }

    private String str()
    {
        expect('"');
        final StringBuilder sb = new StringBuilder();
        while (true)
        {
            final char c = peek();
            pos++;
            if (c == '"')
            {
                return sb.toString();
            }
            if (c != '\\')
            {
                sb.append(c);
                continue;
            }
            final char e = peek();
            pos++;
            switch (e)
            {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' ->
                {
                    if (pos + 4 > s.length())
                    {
                        throw error("4 hex digits");
                    }
                    try
                    {
                        sb.append((char)Integer.parseInt(s.substring(pos, pos + 4), 16));
                    }
                    catch (final NumberFormatException ex)
                    {
                        throw error("4 hex digits");
                    }
                    pos += 4;
                }
                default ->
                {
                    pos--;
                    throw error("an escape character");
                }
            }
        }
    }

    private Double num()
    {
        final int start = pos;
        if (peek() == '-')
        {
            pos++;
        }
        while (pos < s.length())
        {
            final char c = s.charAt(pos);
            if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
            {
                pos++;
            }
            else
            {
                break;
            }
        }
        try
        {
            return Double.parseDouble(s.substring(start, pos));
        }
        catch (final NumberFormatException e)
        {
            pos = start;
            throw error("a number");
        }
    }
}
