/**
 * Small exports built from the documented formats (SPEC §13): Plausible's zip of imported_*
 * CSV files (its importer's columns), zipped by fflate, and Umami's website_event CSV.
 */
import { zipSync } from 'fflate';

export const csv = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

/** A Plausible export of three days (Jan 1–3, 2024), in its documented columns. */
export function plausibleExport(range = '20240101_20240103'): Record<string, string> {
  return {
    [`imported_visitors_${range}.csv`]: csv([
      'date,visitors,pageviews,bounces,visits,visit_duration',
      '2024-01-01,10,30,4,12,600',
      '2024-01-02,20,50,5,25,1200',
      '2024-01-03,5,9,2,6,60',
    ]),
    [`imported_sources_${range}.csv`]: csv([
      'date,source,referrer,utm_source,utm_medium,utm_campaign,utm_content,utm_term,pageviews,visitors,visits,visit_duration,bounces',
      '2024-01-01,Google,,,,,,,20,7,8,400,2',
      '2024-01-01,,,,,,,,10,3,4,200,2',
      '2024-01-02,Hacker News,news.ycombinator.com/item?id=1,,,,,,50,20,25,1200,5',
    ]),
    [`imported_pages_${range}.csv`]: csv([
      'date,hostname,page,visits,visitors,pageviews,total_scroll_depth,total_scroll_depth_visits,total_time_on_page,total_time_on_page_visits',
      '2024-01-01,a.example,/,12,10,20,300,6,120,6',
      '2024-01-01,a.example,"/blog/a, b",3,3,10,\\N,0,30,3',
    ]),
    [`imported_custom_events_${range}.csv`]: csv(['date,name,link_url,path,visitors,events', '2024-01-02,Signup,,,4,5']),
    [`imported_browsers_${range}.csv`]: csv([
      'date,browser,browser_version,visitors,visits,visit_duration,bounces,pageviews',
      '2024-01-01,Firefox,121.0,4,5,100,1,9',
    ]),
  };
}

export function zip(files: Record<string, string>, level: 0 | 6 = 6): Buffer {
  return Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.from(text)])), { level }));
}

/** Umami's website_event rows: two visits on Jan 1 (one bounced), one on Jan 2 with a custom event. */
const UMAMI_HEADER =
  'website_id,session_id,visit_id,event_id,hostname,browser,os,device,screen,language,country,subdivision1,subdivision2,city,url_path,url_query,referrer_path,referrer_query,referrer_domain,page_title,event_type,event_name,created_at';
export const UMAMI_WEBSITE = '0b6c1f9e-8a57-4a39-9d33-7a2f1e5b4c21';
export const umamiLines = [
  UMAMI_HEADER,
  `${UMAMI_WEBSITE},s1,v1,e1,u.example,chrome,Windows 10,desktop,1920x1080,en-US,DE,DE-BE,,Berlin,/,,/search,,www.google.com,Home,1,,2024-01-01 10:00:00`,
  `${UMAMI_WEBSITE},s1,v1,e2,u.example,chrome,Windows 10,desktop,1920x1080,en-US,DE,DE-BE,,Berlin,/pricing,,,,,Pricing,1,,2024-01-01 10:02:30`,
  `${UMAMI_WEBSITE},s2,v2,e3,u.example,ios,iOS,mobile,390x844,en-US,US,,,,/blog,,,,,Blog,1,,2024-01-01 23:30:00`,
  `${UMAMI_WEBSITE},s1,v3,e4,u.example,chrome,Windows 10,desktop,1920x1080,en-US,DE,DE-BE,,Berlin,/,,,,,Home,1,,2024-01-02 09:00:00`,
  `${UMAMI_WEBSITE},s1,v3,e5,u.example,chrome,Windows 10,desktop,1920x1080,en-US,DE,DE-BE,,Berlin,/,,,,,Home,2,signup,2024-01-02 09:00:40`,
];
