package io.forksim.harness;

/** Text for HTML and SVG: the five characters XML reserves, escaped. */
final class Html
{
    private Html()
    {
    }

    /** {@code s} with &amp;, &lt;, &gt;, &quot; and &#39; escaped; null gives "". */
    static String escape(final String s)
    {
        if (s == null)
        {
            return "";
        }
        final StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
